using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Runtime.Tensors;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Tests.Static;

public class StaticQdqQuantizerTests
{
    private static SampleFeed Feed(int count, int seed) => TestData.Images(count, seed);

    private static Recipe Preset(string name) => RecipeResolver.Resolve(new Recipe { Preset = name });

    [Fact]
    public void Int8_static_places_QDQ_that_absorbs_the_Relu_and_stays_close_to_fp32()
    {
        var original = ConvBnReluModel.Build();
        var result = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(original), Preset("int8-static"), Feed(4, 100));
        var graph = result.Model.Graph;

        Assert.False(result.Simulated);
        Assert.Equal(2, result.Nodes.Count);
        Assert.All(result.Nodes, n => Assert.Equal(("int8", 8), (n.Type, n.Bits)));
        Assert.DoesNotContain(graph.Node, n => n.OpType == "BatchNormalization");
        // Conv weights: int8 initializers behind a per-channel DequantizeLinear (axis 0).
        var view = new GraphView(graph);
        foreach (var conv in graph.Node.Where(n => n.OpType == "Conv"))
        {
            var weightDq = view.ProducerOf(conv.Input[1])!;
            Assert.Equal("DequantizeLinear", weightDq.OpType);
            Assert.Equal(0, weightDq.Attribute.Single(a => a.Name == "axis").I);
            Assert.Equal((int)DT.Int8, graph.Initializer.Single(t => t.Name == weightDq.Input[0]).DataType);
            Assert.Equal("DequantizeLinear", view.ProducerOf(conv.Input[0])!.OpType);
            // The output goes straight to a Q, or to the Relu whose output is quantized.
            Assert.Contains(Assert.Single(view.ConsumersOf(conv.Output[0])).OpType, new[] { "QuantizeLinear", "Relu" });
        }
        // The first Conv's bias is int32 (scale = x_scale * w_scale).
        var first = graph.Node.Single(n => n.OpType == "Conv" && view.ProducerOf(n.Input[0])!.Input[0].StartsWith("x"));
        var biasDq = view.ProducerOf(first.Input[2])!;
        Assert.Equal((int)DT.Int32, graph.Initializer.Single(t => t.Name == biasDq.Input[0]).DataType);
        // The Relu's output is quantized with zero point 0, so ORT can drop the Relu into the Q.
        var relu = graph.Node.Single(n => n.OpType == "Relu");
        var q = Assert.Single(view.ConsumersOf(relu.Output[0]));
        Assert.Equal("QuantizeLinear", q.OpType);
        Assert.Equal(0, graph.Initializer.Single(t => t.Name == q.Input[2]).RawData[0]);
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Constant");

        var input = Feed(1, 999).Samples().First();
        using var fp32 = new SessionRunner(original);
        using var int8 = new SessionRunner(result.Model);
        var error = new ErrorAccumulator();
        error.Add(fp32.Run(input), int8.Run(input));
        Assert.True(error.CosineSimilarity > 0.999, $"cosine {error.CosineSimilarity}");
        Assert.True(error.SqnrDb > 25, $"SQNR {error.SqnrDb} dB");
    }

    [Fact]
    public void Excluded_nodes_stay_float_and_unmatched_selection_leaves_the_model_unchanged()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var recipe = Preset("int8-static") with
        {
            Nodes = new NodeSelection { Include = new NodeFilter { OpTypes = ["Conv"] }, Exclude = new NodeFilter { Names = ["Conv_y"] } },
        };
        var result = StaticQdqQuantizer.Quantize(model, recipe, Feed(2, 1));
        Assert.Equal("Conv_conv1", Assert.Single(result.Nodes).Name);
        var last = result.Model.Graph.Node.Single(n => n.Name == "Conv_y");
        Assert.Contains(result.Model.Graph.Initializer, t => t.Name == last.Input[1] && t.DataType == (int)DT.Float);

        var none = StaticQdqQuantizer.Quantize(model, Preset("int8-static") with
        {
            Nodes = new NodeSelection { Include = new NodeFilter { OpTypes = ["MatMul"] } },
        }, Feed(1, 1));
        Assert.Empty(none.Nodes);
        Assert.NotEmpty(none.Warnings);
    }

    [Theory]
    [InlineData("fp8e4m3fn", "per-tensor")]
    [InlineData("fp8e4m3fn", "per-channel")]
    [InlineData("fp8e5m2", "per-channel")]
    public void Fp8_recipe_emits_float8_QDQ_at_opset_19_that_ORT_runs_and_marks_it_simulated(string type, string granularity)
    {
        var original = ConvBnReluModel.Build();
        var preset = Preset("fp8-e4m3");
        var recipe = preset with
        {
            Weights = preset.Weights! with { Type = type, Granularity = granularity },
            Activations = preset.Activations! with { Type = type },
        };
        var result = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(original), recipe, Feed(3, 7));
        var dataType = type == "fp8e5m2" ? DT.Float8E5M2 : DT.Float8E4M3Fn;

        Assert.True(result.Simulated);
        Assert.Contains(result.Warnings, w => w.Contains("simulated"));
        Assert.Equal(19, result.Model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Contains(result.Model.Graph.Initializer, t => t.DataType == (int)dataType && t.Dims.Count == 4);
        Assert.All(result.Nodes, n => Assert.Equal((type, 8), (n.Type, n.Bits)));
        var input = Feed(1, 999).Samples().First();
        using var fp32 = new SessionRunner(original);
        using var fp8 = new SessionRunner(result.Model);
        var error = new ErrorAccumulator();
        error.Add(fp32.Run(input), fp8.Run(input));
        Assert.True(error.CosineSimilarity > (type == "fp8e5m2" ? 0.98 : 0.99), $"cosine {error.CosineSimilarity}");
    }

    [Fact]
    public void The_source_model_is_not_modified()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var before = model.Proto.ToByteArray();
        StaticQdqQuantizer.Quantize(model, Preset("int8-static"), Feed(1, 3));
        Assert.Equal(before, model.Proto.ToByteArray());
    }

    [Fact]
    public void Gemm_and_MatMul_get_per_output_channel_weights_and_stay_close_to_fp32()
    {
        var original = GemmMatMulModel.Build();
        SampleFeed feed = new(() => Enumerable.Range(0, 4).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(TestData.Uniform(32 * 16, -1, 1, seed: 40 + i), 32, 16),
        }), 4, synthetic: false);
        var result = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(original), Preset("int8-static"), feed);

        var graph = result.Model.Graph;
        var view = new GraphView(graph);
        var gemm = graph.Node.Single(n => n.OpType == "Gemm");
        var matmul = graph.Node.Single(n => n.OpType == "MatMul");
        // Gemm with transB: W[N, K], channels on axis 0; MatMul W[K, N], channels on axis 1.
        Assert.Equal(0, view.ProducerOf(gemm.Input[1])!.Attribute.Single(a => a.Name == "axis").I);
        Assert.Equal(1, view.ProducerOf(matmul.Input[1])!.Attribute.Single(a => a.Name == "axis").I);
        Assert.Equal((int)DT.Int32, graph.Initializer.Single(t => t.Name == view.ProducerOf(gemm.Input[2])!.Input[0]).DataType);
        Assert.Equal(8, graph.Initializer.Single(t => t.Name == view.ProducerOf(gemm.Input[1])!.Input[1]).Dims[0]);
        Assert.Equal(4, graph.Initializer.Single(t => t.Name == view.ProducerOf(matmul.Input[1])!.Input[1]).Dims[0]);

        var input = feed.Samples().Last();
        using var fp32 = new SessionRunner(original);
        using var int8 = new SessionRunner(result.Model);
        var error = new ErrorAccumulator();
        error.Add(fp32.Run(input), int8.Run(input));
        Assert.True(error.CosineSimilarity > 0.999, $"cosine {error.CosineSimilarity}");
    }
}
