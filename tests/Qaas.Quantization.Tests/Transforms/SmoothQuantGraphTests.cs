using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Quantization.Tests.Static;
using Qaas.Quantization.Transforms.Graph;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.Transforms.TransformModels;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.Transforms;

/// <summary>The smoothquant transform on LayerNormalization -> MatMul projections, run in ONNX Runtime.</summary>
public class SmoothQuantGraphTests(ITestOutputHelper output)
{
    private const int Tokens = 16, Hidden = 64, Outputs = 32;

    /// <summary>x[1,16,64] -> LayerNormalization (4 outlier channels, scale 40) -> MatMul W[64,32] and W'[64,32] -> y, y2.</summary>
    private static ModelProto OutlierBlock() => LayerNormProjections(Tokens, Hidden, Outputs, j => j < 4, 40f, seed: 9);

    private static SampleFeed Hidden_(int count, int seed) => UniformTokens(count, Tokens, Hidden, seed);

    [Fact]
    public void Smoothing_is_exact_in_float_and_moves_the_outliers_into_the_weights()
    {
        var original = OutlierBlock();
        var smoothed = original.Clone();
        Assert.Equal(1, LayerNormSmoother.Apply(smoothed, OnnxModel.FromProto(original), Hidden_(4, 1)));
        var gamma = TensorData.Read<float>(smoothed.Graph.Initializer.Single(t => t.Name == smoothed.Graph.Node[0].Input[1]));
        Assert.True(gamma.Take(4).Max() < 10, $"outlier channels scaled down: {gamma[0]}");

        double sqnr = Sqnr(original, smoothed, Hidden_(2, 20));
        Assert.True(sqnr > 80, $"SQNR {sqnr:F1} dB: the rewrite must be exact up to float rounding");
    }

    [Theory]
    [InlineData("SimplifiedLayerNormalization")]
    [InlineData("SkipSimplifiedLayerNormalization")]
    [InlineData("SkipLayerNormalization")]
    [InlineData("RMSNormalization")]
    public void RMS_and_skip_norms_of_llm_exports_are_smoothed_exactly_too(string norm)
    {
        var original = LayerNormProjections(Tokens, Hidden, Outputs, j => j < 4, 40f, seed: 9, norm);
        var smoothed = original.Clone();
        Assert.Equal(1, LayerNormSmoother.Apply(smoothed, OnnxModel.FromProto(original), Hidden_(4, 1)));
        var normNode = smoothed.Graph.Node.Single(n => n.OpType == norm);
        var gamma = TensorData.Read<float>(smoothed.Graph.Initializer.Single(t => t.Name == normNode.Input[norm.StartsWith("Skip") ? 2 : 1]));
        Assert.True(gamma.Take(4).Max() < 10, $"outlier channels scaled down: {gamma[0]}");
        double sqnr = Sqnr(original, smoothed, Hidden_(2, 20));
        Assert.True(sqnr > 80, $"SQNR {sqnr:F1} dB: the rewrite must be exact up to float rounding");
        if (norm.StartsWith("Skip"))
            Assert.Equal(RunOutput(original, Hidden_(1, 20).Samples().First(), "sum"), RunOutput(smoothed, Hidden_(1, 20).Samples().First(), "sum"));
    }

    [Fact]
    public void A_norm_whose_bias_broadcasts_one_value_is_left_alone()
    {
        var model = OutlierBlock();
        var beta = model.Graph.Initializer.Single(t => t.Name == "beta");
        model.Graph.Initializer.Remove(beta);
        model.Graph.Initializer.Add(TensorData.Create<float>("beta", [0.1f], [1]));
        Assert.Equal(0, LayerNormSmoother.Apply(model.Clone(), OnnxModel.FromProto(model), Hidden_(2, 1)));
    }

    [Fact]
    public void A_second_run_with_the_caches_reads_no_sample_and_writes_the_same_model()
    {
        var model = OnnxModel.FromProto(OutlierBlock());
        var recipe = RecipeResolver.Resolve(new Recipe { Preset = "int8-static", Transforms = ["fold-batchnorm", "smoothquant"] });
        var options = new StaticQdqOptions(Ranges: new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal),
            ChannelAbsMax: new Dictionary<string, double[]>(StringComparer.Ordinal));
        var first = StaticQdqQuantizer.Quantize(model, recipe, Hidden_(4, 1), options: options);
        Assert.Single(options.ChannelAbsMax!); // the LayerNorm's output

        SampleFeed untouchable = new(() => throw new InvalidOperationException("the feed was read again"), 4, synthetic: false);
        var second = StaticQdqQuantizer.Quantize(model, recipe, untouchable, options: options);
        Assert.Equal(first.Model, second.Model);
    }

    [Fact]
    public void Static_int8_keeps_more_signal_with_smoothquant()
    {
        var model = OnnxModel.FromProto(OutlierBlock());
        Recipe With(params string[] transforms) => RecipeResolver.Resolve(new Recipe { Preset = "int8-static", Transforms = transforms });
        double plain = Sqnr(model.Proto, StaticQdqQuantizer.Quantize(model, With("fold-batchnorm"), Hidden_(8, 1)).Model, Hidden_(4, 50));
        double smoothed = Sqnr(model.Proto, StaticQdqQuantizer.Quantize(model, With("fold-batchnorm", "smoothquant"), Hidden_(8, 1)).Model, Hidden_(4, 50));
        output.WriteLine($"int8-static with outlier channels: SQNR {plain:F1} dB plain, {smoothed:F1} dB with smoothquant");
        Assert.True(smoothed > plain + 3, $"{smoothed:F1} dB vs {plain:F1} dB");
    }
}
