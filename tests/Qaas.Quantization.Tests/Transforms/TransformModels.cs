using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Tests.Static;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Transforms;

/// <summary>What the graph-transform tests share: node and value builders, and the output SQNR of two models.</summary>
internal static class TransformModels
{
    public static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op + "_" + outputs[0] };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    public static ValueInfoProto Float(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    /// <summary>
    /// x[1, tokens, hidden] -> LayerNormalization (channels picked by <paramref name="salient"/> scaled by
    /// <paramref name="salientScale"/>, the rest ~1) -> MatMul W[hidden, outputs] and W'[hidden, outputs] -> y, y2.
    /// </summary>
    /// <param name="norm">LayerNormalization, RMSNormalization (opset 23) or SimplifiedLayerNormalization (no bias), or
    /// SkipLayerNormalization / SkipSimplifiedLayerNormalization (com.microsoft, x as its own skip; the residual sum
    /// becomes a third graph output).</param>
    public static ModelProto LayerNormProjections(int tokens, int hidden, int outputs, Func<int, bool> salient, float salientScale, int seed,
        string norm = "LayerNormalization")
    {
        var random = new Random(seed);
        float[] Values(int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5) * scale).ToArray();
        var gamma = Enumerable.Range(0, hidden).Select(j => salient(j) ? salientScale : 1f + (float)random.NextDouble() * 0.2f).ToArray();
        var graph = new GraphProto { Name = "layer-norm-projections" };
        graph.Input.Add(Float("x", 1, tokens, hidden));
        graph.Output.Add(Float("y", 1, tokens, outputs));
        graph.Output.Add(Float("y2", 1, tokens, outputs));
        graph.Initializer.Add(TensorData.Create<float>("gamma", gamma, [hidden]));
        var beta = Values(hidden, 0.2f); // drawn for every norm, so the weights below stay the same
        if (norm is "LayerNormalization" or "SkipLayerNormalization")
            graph.Initializer.Add(TensorData.Create<float>("beta", beta, [hidden]));
        graph.Initializer.Add(TensorData.Create<float>("w", Values(hidden * outputs, 0.3f), [hidden, outputs]));
        graph.Initializer.Add(TensorData.Create<float>("w2", Values(hidden * outputs, 0.3f), [hidden, outputs]));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        switch (norm)
        {
            case "LayerNormalization":
                graph.Node.Add(Node(norm, ["x", "gamma", "beta"], ["h"]));
                break;
            case "SimplifiedLayerNormalization":
                graph.Node.Add(Node(norm, ["x", "gamma"], ["h"]));
                break;
            case "RMSNormalization":
                graph.Node.Add(Node(norm, ["x", "gamma"], ["h"]));
                model.OpsetImport[0].Version = 23;
                model.IrVersion = 11;
                break;
            default:
                var skip = Node(norm, norm == "SkipLayerNormalization" ? ["x", "x", "gamma", "beta"] : ["x", "x", "gamma"], ["h", "", "", "sum"]);
                skip.Domain = "com.microsoft";
                graph.Node.Add(skip);
                graph.Output.Add(Float("sum", 1, tokens, hidden));
                model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
                break;
        }
        graph.Node.Add(Node("MatMul", ["h", "w"], ["y"]));
        graph.Node.Add(Node("MatMul", ["h", "w2"], ["y2"]));
        return model;
    }

    /// <summary>x[1, tokens, hidden] uniform in [-2, 2], one sample per seed from <paramref name="seed"/> on.</summary>
    public static SampleFeed UniformTokens(int count, int tokens, int hidden, int seed) => new(() => Enumerable.Range(0, count).Select(i =>
        (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(TestData.Uniform(tokens * hidden, -2, 2, seed: seed + i), 1, tokens, hidden),
        }), count, synthetic: false);

    /// <summary>SQNR (dB) of <paramref name="candidate"/>'s first output against <paramref name="reference"/>'s, over a feed.</summary>
    public static double Sqnr(ModelProto reference, ModelProto candidate, SampleFeed feed)
    {
        using var a = new SessionRunner(reference);
        using var b = new SessionRunner(candidate);
        var error = new ErrorAccumulator();
        foreach (var sample in feed.Samples())
            error.Add(a.Run(sample), b.Run(sample));
        return error.SqnrDb;
    }
}
