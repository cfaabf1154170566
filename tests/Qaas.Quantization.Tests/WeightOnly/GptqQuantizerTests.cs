using Qaas.Onnx.Io;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.WeightOnly;

/// <summary>weights.algorithm "gptq" for MatMulNBits on the test transformer, run in ONNX Runtime.</summary>
public class GptqQuantizerTests(ITestOutputHelper output)
{
    [Fact]
    public void Gptq_keeps_the_logits_closer_than_round_to_nearest()
    {
        var o = TransformerOptions.Small;
        var fp32 = TransformerModelBuilder.Build(o);
        var model = OnnxModel.FromProto(fp32);
        Recipe W4(string algorithm) => RecipeResolver.Resolve(new Recipe
        {
            Preset = "w4-rtn", Weights = new WeightSpec { Type = "int4", Granularity = "per-group", GroupSize = 32, Algorithm = algorithm },
        });
        // Plain RTN (no clip search) is what GPTQ's per-group scales start from.
        var plainRtn = new MatMulNBitsOptions(ClipSearch: false);
        var rtn = MatMulNBitsQuantizer.Quantize(model, W4("rtn"), plainRtn);
        var gptq = MatMulNBitsQuantizer.Quantize(model, W4("gptq"), plainRtn, calibration: Sentences(o, 32, 32, 100));

        Assert.Equal(rtn.Nodes.Count, gptq.Nodes.Count);
        Assert.Equal(rtn.Model.Graph.Node.Count(n => n.OpType == "MatMulNBits"), gptq.Model.Graph.Node.Count(n => n.OpType == "MatMulNBits"));
        var heldOut = Sentences(o, 4, 32, 900);
        double rtnSqnr = OutputSqnr(fp32, rtn.Model, heldOut), gptqSqnr = OutputSqnr(fp32, gptq.Model, heldOut);
        output.WriteLine($"logits SQNR on held-out tokens: RTN {rtnSqnr:F2} dB, GPTQ {gptqSqnr:F2} dB");
        Assert.True(gptqSqnr > rtnSqnr + 0.5, $"GPTQ {gptqSqnr:F2} dB vs RTN {rtnSqnr:F2} dB");
    }

    [Fact]
    public void Hessians_measured_in_small_batches_equal_those_measured_at_once()
    {
        var o = TransformerOptions.Small;
        var model = OnnxModel.FromProto(TransformerModelBuilder.Build(o));
        var inputs = WeightedMatMuls.FindAll(model.Proto.Graph, null).Select(m => (m.Input, m.K)).Distinct().ToList();
        var feed = Sentences(o, 3, 8, 5);
        var all = Qaas.Quantization.Algorithms.InputHessians.Measure(model, inputs.Select(i => i.Input).ToList(), feed);
        // Room for one 128 x 128 Hessian per pass: every input costs a pass of its own.
        var batches = new Qaas.Quantization.Algorithms.HessianBatches(model, inputs, feed, budgetBytes: 8L * 128 * 128);
        foreach (var (input, _) in inputs)
            Assert.Equal(all[input], batches.For(input));
        Assert.Equal(inputs.Count, batches.Passes);
        Assert.Null(batches.For("not-an-input"));
    }

    [Fact]
    public void Gptq_without_calibration_samples_is_refused_with_the_reason()
    {
        var model = OnnxModel.FromProto(TransformerModelBuilder.Build(TransformerOptions.Small with { Blocks = 1 }));
        var recipe = RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Weights = new WeightSpec { Algorithm = "gptq" } });
        Assert.True(Quantizers.NeedsCalibration(recipe));
        var error = Assert.Throws<ArgumentException>(() => MatMulNBitsQuantizer.Quantize(model, recipe));
        Assert.Contains("calibration", error.Message);
    }
}
