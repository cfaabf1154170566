using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.QOperator;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Quantization.Tests.Static;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.QOperator.QOperatorGraph;

namespace Qaas.Quantization.Tests.QOperator;

/// <summary>Static QOperator through the pipeline (QDQ, then the QLinear rewrite) on small built models.</summary>
public class QdqToQOperatorTests(ITestOutputHelper output)
{
    private static Recipe QOperator(string json = "") =>
        RecipeResolver.Resolve(RecipeJson.Parse($$"""{"preset":"int8-static","format":"qoperator"{{json}}}"""));

    private static SampleFeed Images(int count, int seed) => TestData.Images(count, seed);

    private static SampleFeed Rows(int count, int seed) => TestData.Feed(count, i => Tensor.Create(TestData.Uniform(5 * 16, -1, 1, seed + i), 5, 16));

    [Fact]
    public void Conv_bn_relu_becomes_two_QLinearConv_with_only_the_input_Q_and_the_output_DQ_left()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var recipe = QOperator();
        var qdq = Quantizers.Run(model, recipe with { Format = "qdq" }, Images(4, 100), null, default);
        var qop = Quantizers.Run(model, recipe, Images(4, 100), null, default);
        var graph = qop.Model.Graph;

        OnnxModel.FromProto(qop.Model); // valid: topologically sorted, every name defined
        Assert.Equal(2, Count(qop.Model, "QLinearConv"));
        Assert.Equal(0, Count(qop.Model, "Conv"));
        Assert.Equal(0, Count(qop.Model, "Relu")); // absorbed by the first QLinearConv's output zero point
        // x -> Q -> QLinearConv -> QLinearConv -> DQ -> y: the Q -> DQ pair between the two convolutions is gone.
        Assert.Equal("x", Assert.Single(graph.Node, n => n.OpType == "QuantizeLinear").Input[0]);
        Assert.Equal("y", Assert.Single(graph.Node, n => n.OpType == "DequantizeLinear").Output[0]);
        Assert.Equal(4, graph.Node.Count);
        var first = graph.Node.Single(n => n.OpType == "QLinearConv" && n.Input.Count == 9);
        Assert.Equal((int)TensorProto.Types.DataType.Int32, graph.Initializer.Single(t => t.Name == first.Input[8]).DataType);
        Assert.Equal(8, graph.Initializer.Single(t => t.Name == first.Input[4]).Dims.Single()); // per-channel w_scale
        Assert.Contains(qop.Warnings, w => w.Contains("QOperator format: 2 QLinearConv"));
        Assert.Equal(qdq.Nodes, qop.Nodes);

        var vsQdq = Compare(qdq.Model, qop.Model, Images(4, 999))["y"];
        var vsFp32 = Compare(model.Proto, qop.Model, Images(4, 999))["y"];
        output.WriteLine($"vs QDQ: max abs {vsQdq.MaxAbsoluteError:E3}, cosine {vsQdq.CosineSimilarity:F7}; vs fp32: cosine {vsFp32.CosineSimilarity:F5}, SQNR {vsFp32.SqnrDb:F1} dB");
        Assert.True(vsQdq.MaxAbsoluteError == 0, $"max abs {vsQdq.MaxAbsoluteError}");
        Assert.True(vsFp32.CosineSimilarity > 0.999, $"cosine {vsFp32.CosineSimilarity}");
    }

    [Fact]
    public void A_node_kept_in_fp32_reads_through_the_DQ_that_stays_for_it()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var qdq = StaticQdqQuantizer.Quantize(model, QOperator(), Images(2, 100), options: new StaticQdqOptions(KeepFloat: new HashSet<string> { "Conv_y" }));
        var qop = QdqToQOperator.Apply(qdq);

        var view = new GraphView(qop.Model.Graph);
        var conv = Assert.Single(qop.Model.Graph.Node, n => n.OpType == "QLinearConv");
        var floatConv = Assert.Single(qop.Model.Graph.Node, n => n.OpType == "Conv");
        // QLinearConv -> relu_quantized -> DQ -> Conv (fp32): the DQ stays because a float node reads it.
        var dq = view.ProducerOf(floatConv.Input[0])!;
        Assert.Equal("DequantizeLinear", dq.OpType);
        Assert.Equal(conv.Output[0], dq.Input[0]);
        Assert.DoesNotContain(qop.Warnings, w => w.Contains("stay in QDQ form"));
        Assert.Equal(0, Compare(qdq.Model, qop.Model, Images(2, 999))["y"].MaxAbsoluteError);
    }

    [Fact]
    public void A_recipe_with_acceptance_limits_goes_through_the_fallback_search_and_is_written_as_QOperator_too()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var qop = Quantizers.Run(model, QOperator(""","acceptance":{"minSqnrDb":20}"""), Images(3, 100), null, default);
        Assert.Equal(2, Count(qop.Model, "QLinearConv"));
        Assert.Contains(qop.Warnings, w => w.Contains("QOperator format: 2 QLinearConv"));
    }

    [Fact]
    public void Gemm_and_MatMul_become_QGemm_and_QLinearMatMul()
    {
        var model = OnnxModel.FromProto(GemmMatMulModel.Build());
        var recipe = QOperator();
        var qdq = Quantizers.Run(model, recipe with { Format = "qdq" }, Rows(4, 10), null, default);
        var qop = Quantizers.Run(model, recipe, Rows(4, 10), null, default);

        OnnxModel.FromProto(qop.Model);
        Assert.Equal(1, Count(qop.Model, "QGemm"));
        Assert.Equal(1, Count(qop.Model, "QLinearMatMul"));
        Assert.Empty(QdqLeftovers(qop.Model, "Gemm", "MatMul"));
        Assert.Equal(0, Count(qop.Model, "Relu"));
        Assert.Equal(4, qop.Model.Graph.Node.Count); // Q(x), QGemm, QLinearMatMul, DQ(y)
        Assert.Contains(qop.Model.OpsetImport, o => o.Domain == "com.microsoft");
        Assert.Contains(qop.Warnings, w => w.Contains("1 QGemm, 1 QLinearMatMul"));

        var vsQdq = Compare(qdq.Model, qop.Model, Rows(4, 999))["y"];
        var vsFp32 = Compare(model.Proto, qop.Model, Rows(4, 999))["y"];
        output.WriteLine($"vs QDQ: max abs {vsQdq.MaxAbsoluteError:E3}, cosine {vsQdq.CosineSimilarity:F7}; vs fp32: cosine {vsFp32.CosineSimilarity:F5}, SQNR {vsFp32.SqnrDb:F1} dB");
        Assert.True(vsQdq.MaxAbsoluteError == 0, $"max abs {vsQdq.MaxAbsoluteError}");
        Assert.True(vsFp32.CosineSimilarity > 0.999, $"cosine {vsFp32.CosineSimilarity}");
    }

    [Theory]
    [InlineData("uint8", "int8", "per-channel", true)]
    [InlineData("uint8", "uint8", "per-channel", true)]
    [InlineData("int8", "int8", "per-channel", true)]
    [InlineData("uint8", "int8", "per-tensor", false)]
    [InlineData("uint8", "int8", "per-channel", false)] // per-channel zero points: ORT 1.30's QLinearConv takes them
    public void Every_type_combination_the_validator_accepts_runs_in_ORT_and_equals_the_QDQ_model(
        string activations, string weights, string granularity, bool symmetric)
    {
        var recipe = QOperator($$""","activations":{"type":"{{activations}}"},"weights":{"type":"{{weights}}","granularity":"{{granularity}}","symmetric":{{(symmetric ? "true" : "false")}}}""");
        foreach (var (model, feed, products) in new[]
        {
            (ConvBnReluModel.Build(), Images(3, 5), new[] { "QLinearConv", "QLinearConv" }),
            (GemmMatMulModel.Build(), Rows(3, 5), new[] { "QGemm", "QLinearMatMul" }),
        })
        {
            var source = OnnxModel.FromProto(model);
            var qdq = Quantizers.Run(source, recipe with { Format = "qdq" }, feed, null, default);
            var qop = Quantizers.Run(source, recipe, feed, null, default);
            Assert.Equal(products, qop.Model.Graph.Node.Where(n => n.OpType.StartsWith('Q') && n.OpType != "QuantizeLinear").Select(n => n.OpType));
            Assert.Equal(0, Compare(qdq.Model, qop.Model, feed)["y"].MaxAbsoluteError);
        }
    }

    [Fact]
    public void Int8_activations_with_uint8_weights_are_refused_by_the_validator_and_kept_in_QDQ_by_the_converter()
    {
        var error = Assert.Throws<RecipeValidationException>(() => QOperator(""","activations":{"type":"int8"},"weights":{"type":"uint8"}"""));
        Assert.Contains("QLinearConv", Assert.Single(error.Errors, e => e.Key == "recipe.weights.type").Value[0]);

        // Past the validator (a direct caller), ORT would reject such a QLinearConv: the nodes stay QDQ, with the reason.
        var recipe = QOperator();
        recipe = recipe with { Activations = recipe.Activations! with { Type = "int8" }, Weights = recipe.Weights! with { Type = "uint8" } };
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var qop = Quantizers.Run(model, recipe, Images(2, 5), null, default);
        Assert.Equal(0, Count(qop.Model, "QLinearConv"));
        Assert.Contains(qop.Warnings, w => w.Contains("2 quantized node(s) stay in QDQ form") && w.Contains("no QLinearConv for int8 activations with uint8 weights"));
        Assert.True(Compare(model.Proto, qop.Model, Images(1, 9))["y"].CosineSimilarity > 0.999);
    }
}
