using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Tests.WeightOnly;

/// <summary>
/// Small models whose weighted nodes sit in subgraphs: an If ("branch") picking one of two branches by the bool input
/// "flag", then a Loop ("repeat", two iterations) adding a weighted product of x to its carried value. Weights come as
/// main-graph initializers captured by several subgraphs, branch initializers and branch Constant nodes.
/// <see cref="AssertValidAndClose"/> runs a quantized copy down both branches.
/// </summary>
internal static class SubgraphModels
{
    public const int D = 64;
    private const int F = (int)DT.Float;

    /// <summary>
    /// then: x W_inner + x W_const (branch initializer, branch Constant); else: x W_shared + b_shared (captured);
    /// loop body: v + x W_shared (captured weight and input); main: y = v W_main. Both branch MatMuls are named "mm".
    /// </summary>
    public static ModelProto MatMuls()
    {
        var then = Graph("then", [], [Float("h_then", 2, D)]);
        then.Initializer.Add(Weight("W_inner", [D, D], seed: 2));
        then.Node.Add(Constant("w_const", Weight("W_const", [D, D], seed: 3)));
        then.Node.Add(ModelBuilder.Node("MatMul", "mm", ["x", "W_inner"], ["a"]));
        then.Node.Add(ModelBuilder.Node("MatMul", "mm_const", ["x", "W_const"], ["b"]));
        then.Node.Add(ModelBuilder.Node("Add", "sum", ["a", "b"], ["h_then"]));

        var otherwise = Graph("else", [], [Float("h_else", 2, D)]);
        otherwise.Node.Add(ModelBuilder.Node("MatMul", "mm", ["x", "W_shared"], ["c"]));
        otherwise.Node.Add(ModelBuilder.Node("Add", "bias", ["c", "b_shared"], ["h_else"]));

        var body = LoopBody(Float("v_in", 2, D), Float("v_out", 2, D));
        body.Node.Add(ModelBuilder.Node("MatMul", "mm_loop", ["x", "W_shared"], ["d"]));
        body.Node.Add(ModelBuilder.Node("Add", "accumulate", ["v_in", "d"], ["v_out"]));

        var main = MainGraph(Float("x", 2, D), Float("y", 2, D), then, otherwise, body);
        main.Initializer.Add(Weight("W_shared", [D, D], seed: 4));
        main.Initializer.Add(Weight("b_shared", [D], seed: 5));
        main.Initializer.Add(Weight("W_main", [D, D], seed: 6));
        main.Node.Add(ModelBuilder.Node("MatMul", "mm_main", ["v", "W_main"], ["y"]));
        return Model(main);
    }

    /// <summary>
    /// x [1, 4, 8, 8]; then: Conv(x, Wc_shared, bc_shared) (captured); else: Conv(x, Wc_local) (branch Constant);
    /// loop body: v + Conv(x, Wc_shared, bc_shared); the output is v.
    /// </summary>
    public static ModelProto Convs()
    {
        var then = Graph("then", [], [Float("h_then", 1, 8, 8, 8)]);
        then.Node.Add(Conv("conv", ["x", "Wc_shared", "bc_shared"], "h_then"));

        var otherwise = Graph("else", [], [Float("h_else", 1, 8, 8, 8)]);
        otherwise.Node.Add(Constant("wc_local", Weight("Wc_local", [8, 4, 3, 3], seed: 7)));
        otherwise.Node.Add(Conv("conv", ["x", "Wc_local"], "h_else"));

        var body = LoopBody(Float("v_in", 1, 8, 8, 8), Float("v_out", 1, 8, 8, 8));
        body.Node.Add(Conv("conv_loop", ["x", "Wc_shared", "bc_shared"], "d"));
        body.Node.Add(ModelBuilder.Node("Add", "accumulate", ["v_in", "d"], ["v_out"]));

        var main = MainGraph(Float("x", 1, 4, 8, 8), Float("v", 1, 8, 8, 8), then, otherwise, body);
        main.Initializer.Add(Weight("Wc_shared", [8, 4, 3, 3], seed: 8));
        main.Initializer.Add(Weight("bc_shared", [8], seed: 9));
        return Model(main);
    }

    /// <summary>The graph held by attribute <paramref name="attribute"/> of the node called <paramref name="node"/>.</summary>
    public static GraphProto Subgraph(ModelProto model, string node, string attribute) =>
        Subgraphs.All(model.Graph).SelectMany(g => g.Node).Single(n => n.Name == node).Attribute.Single(a => a.Name == attribute).G;

    /// <summary>The quantized model passes the model checks, and its output stays close to fp32's with either branch taken.</summary>
    public static void AssertValidAndClose(ModelProto fp32, ModelProto quantized, double minimumCosine, ITestOutputHelper output)
    {
        ModelValidator.Validate(quantized);
        foreach (var flag in new[] { true, false })
        {
            double cosine = TransformerRun.Cosine(fp32, quantized, Inputs(fp32, flag, seed: 21));
            output.WriteLine($"flag={flag}: cosine {cosine:F5}");
            Assert.True(cosine >= minimumCosine, $"flag={flag}: cosine {cosine}");
        }
    }

    public static Dictionary<string, Tensor> Inputs(ModelProto model, bool flag, int seed)
    {
        var x = model.Graph.Input.Single(i => i.Name == "x").Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray();
        return new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(TestData.Uniform((int)x.Aggregate(1L, (a, b) => a * b), -1, 1, seed), x),
            ["flag"] = Tensor.Create(new[] { flag }),
        };
    }

    private static GraphProto MainGraph(ValueInfoProto x, ValueInfoProto output, GraphProto then, GraphProto otherwise, GraphProto body)
    {
        var main = Graph("main", [x, ModelBuilder.Tensor("flag", (int)DT.Bool)], [output]);
        main.Initializer.Add(TensorData.Create<long>("trips", [2], []));
        var branch = ModelBuilder.Node("If", "branch", ["flag"], ["h"]);
        branch.Attribute.Add(Attributes.Graph("then_branch", then));
        branch.Attribute.Add(Attributes.Graph("else_branch", otherwise));
        main.Node.Add(branch);
        var repeat = ModelBuilder.Node("Loop", "repeat", ["trips", "", "h"], ["v"]);
        repeat.Attribute.Add(Attributes.Graph("body", body));
        main.Node.Add(repeat);
        return main;
    }

    private static GraphProto LoopBody(ValueInfoProto carriedIn, ValueInfoProto carriedOut)
    {
        var body = Graph("body", [ModelBuilder.Tensor("i", (int)DT.Int64), ModelBuilder.Tensor("cond_in", (int)DT.Bool), carriedIn],
            [ModelBuilder.Tensor("cond_out", (int)DT.Bool), carriedOut]);
        body.Node.Add(ModelBuilder.Node("Identity", "keep_going", ["cond_in"], ["cond_out"]));
        return body;
    }

    private static ModelProto Model(GraphProto main)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "qaas-tests", Graph = main };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 13 });
        return model;
    }

    private static GraphProto Graph(string name, ValueInfoProto[] inputs, ValueInfoProto[] outputs)
    {
        var g = new GraphProto { Name = name };
        g.Input.AddRange(inputs);
        g.Output.AddRange(outputs);
        return g;
    }

    private static ValueInfoProto Float(string name, params object[] dims) => ModelBuilder.Tensor(name, F, dims);

    private static TensorProto Weight(string name, long[] dims, int seed) =>
        TensorData.Create<float>(name, TestData.Gaussian((int)dims.Aggregate(1L, (a, b) => a * b), 0.1f, seed), dims);

    private static NodeProto Constant(string name, TensorProto value)
    {
        var node = ModelBuilder.Node("Constant", name, [], [value.Name]);
        node.Attribute.Add(Attributes.Tensor("value", value));
        return node;
    }

    private static NodeProto Conv(string name, string[] inputs, string output)
    {
        var node = ModelBuilder.Node("Conv", name, inputs, [output]);
        node.Attribute.Add(Attributes.Ints("pads", 1, 1, 1, 1));
        return node;
    }
}
