using Qaas.Onnx.Io;
using Qaas.Quantization.Dynamic;
using Qaas.Quantization.Recipes;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.Dynamic;

public class DynamicQuantizerTests
{
    private static Recipe Int8Dynamic(WeightSpec? weights = null) =>
        RecipeResolver.Resolve(new Recipe { Preset = "int8-dynamic", Weights = weights });

    [Fact]
    public void Standard_form_uses_MatMulInteger_and_stays_close()
    {
        var o = TransformerOptions.Small;
        var fp32 = TransformerModelBuilder.Build(o);
        var result = DynamicQuantizer.Quantize(OnnxModel.FromProto(fp32), Int8Dynamic(), default);

        var ops = OpCounts(result.Model);
        Assert.Equal(6 * o.Blocks + 1, ops["MatMulInteger"]);
        // Q, K and V share one quantized input; the others quantize their own.
        Assert.Equal(4 * o.Blocks + 1, ops["DynamicQuantizeLinear"]);
        Assert.Equal(2 * o.Blocks, ops["MatMul"]);
        Assert.Equal(6 * o.Blocks + 1, result.Nodes.Count);
        Assert.All(result.Nodes, n => Assert.InRange(n.ErrorContribution!.Value, 0, 0.02));
        Assert.DoesNotContain(result.Model.Graph.Initializer, t => t.Name == "block0.mlp.up.weight");

        double cosine = Cosine(fp32, result.Model, Tokens(o, 2, 16));
        Assert.True(cosine >= 0.99, $"cosine {cosine}");
    }

    [Fact]
    public void Fused_form_uses_DynamicQuantizeMatMul_and_stays_close()
    {
        var o = TransformerOptions.Small;
        var fp32 = TransformerModelBuilder.Build(o);
        var result = DynamicQuantizer.Quantize(OnnxModel.FromProto(fp32), Int8Dynamic(), DynamicMatMulForm.Fused, default);

        var ops = OpCounts(result.Model);
        Assert.Equal(6 * o.Blocks + 1, ops["DynamicQuantizeMatMul"]);
        // Biases moved into the operator: only the residual Adds and GELU's Add remain.
        Assert.Equal(3 * o.Blocks, ops["Add"]);
        double cosine = Cosine(fp32, result.Model, Tokens(o, 2, 16));
        Assert.True(cosine >= 0.99, $"cosine {cosine}");
    }

    [Theory]
    [InlineData("int8", "per-tensor", true)]
    [InlineData("uint8", "per-channel", false)]
    [InlineData("int8", "per-channel", false)]
    public void Weight_variants_run_in_ort(string type, string granularity, bool symmetric)
    {
        var o = TransformerOptions.Small with { Blocks = 1 };
        var fp32 = TransformerModelBuilder.Build(o);
        var recipe = Int8Dynamic(new WeightSpec { Type = type, Granularity = granularity, Symmetric = symmetric });
        foreach (var form in new[] { DynamicMatMulForm.Standard, DynamicMatMulForm.Fused })
        {
            var result = DynamicQuantizer.Quantize(OnnxModel.FromProto(fp32), recipe, form, default);
            double cosine = Cosine(fp32, result.Model, Tokens(o, 1, 8));
            Assert.True(cosine >= 0.99, $"{form}: cosine {cosine}");
        }
    }
}
