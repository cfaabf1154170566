using Qaas.Onnx.Io;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.QOperator;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.QOperator.QOperatorGraph;

namespace Qaas.Quantization.Tests.QOperator;

/// <summary>The com.microsoft QLinear rewrites on a hand-written QDQ graph (the static quantizer does not place these yet).</summary>
public class QLinearOpsTests(ITestOutputHelper output)
{
    private static SampleFeed Inputs(int count) => new(() => Enumerable.Range(0, count).Select(i =>
        (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TestData.Uniform(4 * 8 * 8, -1, 1, 40 + i), 1, 4, 8, 8) }),
        count, synthetic: false);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Elementwise_concat_and_pool_patterns_become_QLinear_ops_that_ORT_runs(bool signed)
    {
        var qdq = QdqOpsModel.Build(signed);
        var qop = qdq.Clone();
        var conversion = QdqToQOperator.Convert(qop);

        OnnxModel.FromProto(qop);
        string[] ops = ["QLinearSigmoid", "QLinearLeakyRelu", "QLinearAdd", "QLinearMul", "QLinearConcat", "QLinearAveragePool", "QLinearGlobalAveragePool"];
        Assert.Equal(ops.Order(), conversion.Created.Keys);
        Assert.All(ops, op => Assert.Equal(1, Count(qop, op)));
        Assert.Empty(conversion.Kept);
        Assert.Empty(QdqLeftovers(qop, "Sigmoid", "LeakyRelu", "Add", "Mul", "Concat", "AveragePool", "GlobalAveragePool"));
        // Left: the Q of input x, and the DQs that produce the graph outputs y and s (s also feeds QLinearAdd/Mul as integers).
        Assert.Equal("x", Assert.Single(qop.Graph.Node, n => n.OpType == "QuantizeLinear").Input[0]);
        Assert.Equal(["s", "y"], qop.Graph.Node.Where(n => n.OpType == "DequantizeLinear").Select(n => n.Output[0]).Order());
        Assert.Equal(ops.Length + 3, qop.Graph.Node.Count);
        Assert.Contains(qop.OpsetImport, o => o.Domain == "com.microsoft");

        // Measured identical: ONNX Runtime fuses the QDQ form into these same kernels. The fp32 graph checks the math.
        var errors = Compare(qdq, qop, Inputs(4));
        Assert.Equal(0, errors["y"].MaxAbsoluteError);
        Assert.Equal(0, errors["s"].MaxAbsoluteError);
        var fp32 = Compare(QdqOpsModel.Build(signed, quantized: false), qop, Inputs(4));
        output.WriteLine($"signed {signed}: vs fp32 y cosine {fp32["y"].CosineSimilarity:F6}, max abs {fp32["y"].MaxAbsoluteError:E3}; s max abs {fp32["s"].MaxAbsoluteError:E3}");
        Assert.True(fp32["y"].CosineSimilarity > 0.9999, $"cosine {fp32["y"].CosineSimilarity}");
        // Sigmoid of a quantized x (slope <= 1/4, x step 2/255) re-quantized (step 1/255): at most ~0.75 of an s step.
        Assert.True(fp32["s"].MaxAbsoluteError <= 1.0 / 255, $"s max abs {fp32["s"].MaxAbsoluteError}");
    }

    [Fact]
    public void A_Relu_whose_output_zero_point_is_not_the_type_minimum_keeps_the_pattern_in_QDQ()
    {
        // Symmetric uint8 activations put the zero point at 128: the Relu clips what the Q would keep.
        var model = OnnxModel.FromProto(Static.ConvBnReluModel.Build());
        var recipe = Qaas.Quantization.Recipes.RecipeResolver.Resolve(Qaas.Quantization.Recipes.RecipeJson.Parse(
            """{"preset":"int8-static","format":"qoperator","activations":{"symmetric":true}}"""));
        var feed = TestData.Images(2, seed: 0);
        var qop = Quantizers.Run(model, recipe, feed, null, default);

        Assert.Equal(1, Count(qop.Model, "QLinearConv"));
        Assert.Equal(1, Count(qop.Model, "Relu"));
        Assert.Contains(qop.Warnings, w => w.Contains("Conv_conv1: its Relu is not absorbed by the output's range (zero point 128)"));
        Assert.True(Compare(model.Proto, qop.Model, feed)["y"].CosineSimilarity > 0.999);
    }
}
