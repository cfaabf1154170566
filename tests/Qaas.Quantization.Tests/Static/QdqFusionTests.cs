using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Static;

/// <summary>The int8-static placement checked against what ONNX Runtime actually does with it (its optimized graph).</summary>
public class QdqFusionTests
{
    private static SampleFeed Feed(int count, int seed) => TestData.Images(count, seed);

    private static QuantizedModel Quantize(ModelProto model) =>
        StaticQdqQuantizer.Quantize(OnnxModel.FromProto(model), RecipeResolver.Resolve(new Recipe { Preset = "int8-static" }), Feed(4, 10));

    [Fact]
    public void Every_op_becomes_an_integer_kernel_in_ORT_and_only_the_output_is_dequantized()
    {
        var result = Quantize(FusionModel.Build());
        using var folder = new TempFolder();
        var optimizedPath = Path.Combine(folder.Path, "optimized.onnx");
        var options = new InferenceSessionOptions
        {
            IntraOpThreads = 1, AllowSpinning = false,
            ConfigEntries = new Dictionary<string, string> { ["session.optimized_model_filepath"] = optimizedPath },
        };
        using (InferenceSession.Create(result.Model.ToByteArray(), options)) { }
        var optimized = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimizedPath)).Graph;
        var ops = optimized.Node.Select(n => n.OpType).ToList();

        foreach (var kernel in new[] { "QLinearConv", "QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearConcat", "QLinearGlobalAveragePool" })
            Assert.Contains(kernel, ops);
        // No float arithmetic left: the Relu folded into the Conv's Q, the Div became a QLinearMul, MaxPool and Resize
        // run on uint8 (their Q/DQ pairs dropped because input and output share parameters).
        foreach (var floatOp in new[] { "Relu", "Add", "Mul", "Div", "Sigmoid", "Concat", "GlobalAveragePool", "Conv" })
            Assert.DoesNotContain(floatOp, ops);
        Assert.Equal(1, ops.Count(op => op == "QuantizeLinear"));   // the input image
        Assert.Equal(1, ops.Count(op => op == "DequantizeLinear")); // the graph output
    }

    [Fact]
    public void Tensors_get_one_quantize_shared_by_their_readers_and_shared_parameter_ops_keep_their_input_scale()
    {
        var original = FusionModel.Build();
        var result = Quantize(original);
        var graph = result.Model.Graph;
        var view = new GraphView(graph);
        float Scale(string name) => TensorData.Read<float>(graph.Initializer.Single(t => t.Name == name))[0];

        foreach (var q in graph.Node.Where(n => n.OpType == "QuantizeLinear"))
        {
            Assert.NotEqual("DequantizeLinear", view.ProducerOf(q.Input[0])?.OpType); // no DQ -> Q round trip
            Assert.Single(graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == q.Input[0]);
        }
        // r1 feeds the second Conv and the residual Add through the same DQ.
        var relu = graph.Node.Single(n => n.OpType == "Relu");
        var reluQ = Assert.Single(view.ConsumersOf(relu.Output[0]));
        var reluDq = Assert.Single(view.ConsumersOf(reluQ.Output[0]));
        Assert.Equal(["Add", "Conv"], view.ConsumersOf(reluDq.Output[0]).Select(n => n.OpType).Order());

        foreach (var op in new[] { "MaxPool", "Resize" })
        {
            var node = graph.Node.Single(n => n.OpType == op);
            var inputDq = view.ProducerOf(node.Input[0])!;
            var outputQ = Assert.Single(view.ConsumersOf(node.Output[0]));
            Assert.Equal(("DequantizeLinear", "QuantizeLinear"), (inputDq.OpType, outputQ.OpType));
            Assert.Equal(Scale(inputDq.Input[1]), Scale(outputQ.Input[1]));
        }
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Div");
        // The Mul's per-channel constant is stored as uint8 behind a DequantizeLinear.
        var gainMul = graph.Node.Single(n => n.Name == "Mul_m");
        Assert.Equal((int)TensorProto.Types.DataType.Uint8,
            graph.Initializer.Single(t => t.Name == view.ProducerOf(gainMul.Input[1])!.Input[0]).DataType);

        var input = Feed(1, 999).Samples().First();
        using var fp32 = new SessionRunner(original);
        using var int8 = new SessionRunner(result.Model);
        var error = new ErrorAccumulator();
        error.Add(fp32.Run(input), int8.Run(input));
        Assert.True(error.CosineSimilarity > 0.99, $"cosine {error.CosineSimilarity}");
    }

    [Fact]
    public void Elementwise_ops_between_float_ops_are_left_alone()
    {
        // y = Add(Sigmoid(x), b): no weighted node and nothing planned next to the Add, so quantizing it would only
        // add a Q and a DQ pass; the model stays float and says why.
        const int F = (int)TensorProto.Types.DataType.Float;
        var g = new GraphProto { Name = "float-island" };
        g.Input.Add(ModelBuilder.Tensor("x", F, 1, 3, 16, 16));
        g.Output.Add(ModelBuilder.Tensor("y", F, 1, 3, 16, 16));
        g.Initializer.Add(TensorData.Create<float>("b", [0.5f], []));
        g.Node.Add(ModelBuilder.Node("Exp", "exp", ["x"], ["e"]));
        g.Node.Add(ModelBuilder.Node("Add", "add", ["e", "b"], ["a"]));
        g.Node.Add(ModelBuilder.Node("Log", "log", ["a"], ["y"]));
        var model = new ModelProto { IrVersion = 8, Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });

        var result = Quantize(model);
        Assert.DoesNotContain(result.Model.Graph.Node, n => n.OpType is "QuantizeLinear" or "DequantizeLinear");
        Assert.NotEmpty(result.Warnings);
    }
}
