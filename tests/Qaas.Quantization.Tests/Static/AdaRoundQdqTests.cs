using Qaas.Onnx.Io;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;

namespace Qaas.Quantization.Tests.Static;

/// <summary>weights.algorithm "adaround" in static QDQ quantization, run in ONNX Runtime.</summary>
public class AdaRoundQdqTests(ITestOutputHelper output)
{
    // Per-tensor weights make the weight rounding error large next to the activations' (min-max ranges clip nothing).
    private static Recipe Recipe(string algorithm) => RecipeResolver.Resolve(new Recipe
    {
        Preset = "int8-static",
        Weights = new WeightSpec { Granularity = "per-tensor", Algorithm = algorithm },
        Activations = new ActivationSpec { Calibration = "minmax" },
    });

    // Smooth images (neighbouring pixels alike, a common offset), as natural images are: the patches are correlated.
    private static SampleFeed Images(int count, int seed) => TestData.Feed(count, i =>
    {
        var noise = TestData.Uniform(3 * 26 * 26, 0, 2, seed + i);
        var x = new float[3 * 24 * 24];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 24; y++)
                for (int z = 0; z < 24; z++)
                    x[(c * 24 + y) * 24 + z] = (noise[(c * 26 + y) * 26 + z] + noise[(c * 26 + y + 1) * 26 + z + 1] + noise[(c * 26 + y + 2) * 26 + z + 2]) / 3;
        return Tensor.Create(x, 1, 3, 24, 24);
    });

    private static double OutputError(OnnxModel model, QuantizedModel quantized, SampleFeed feed)
    {
        using var fp32 = new SessionRunner(model.Proto);
        using var q = new SessionRunner(quantized.Model);
        double sum = 0;
        long count = 0;
        foreach (var sample in feed.Samples())
        {
            var reference = fp32.Run(sample);
            var candidate = q.Run(sample);
            for (int i = 0; i < reference.Length; i++) sum += (candidate[i] - reference[i]) * (double)(candidate[i] - reference[i]);
            count += reference.Length;
        }
        return sum / count;
    }

    [Fact]
    public void Adaptive_rounding_lowers_the_output_error_on_images_it_never_saw()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var nearest = StaticQdqQuantizer.Quantize(model, Recipe("rtn"), Images(8, 10));
        var adaptive = StaticQdqQuantizer.Quantize(model, Recipe("adaround"), Images(8, 10));
        Assert.Contains(adaptive.Warnings, w => w.StartsWith("adaround rounded 2 weight(s) adaptively"));
        Assert.DoesNotContain(nearest.Warnings, w => w.StartsWith("adaround"));

        double before = OutputError(model, nearest, Images(8, 100)), after = OutputError(model, adaptive, Images(8, 100));
        output.WriteLine($"held-out output MSE: {before:E3} round-to-nearest, {after:E3} AdaRound; {adaptive.Warnings.First(w => w.StartsWith("adaround"))}");
        Assert.True(after < 0.8 * before, $"{after:E3} vs {before:E3}");
    }

    [Fact]
    public void Progress_climbs_through_calibration_moments_and_rounding_to_the_end()
    {
        var reports = new List<double>();
        StaticQdqQuantizer.Quantize(OnnxModel.FromProto(ConvBnReluModel.Build()), Recipe("adaround"), Images(4, 10), new ProgressRecorder(reports));
        Assert.Equal(1.0, reports[^1]);
        Assert.Equal(reports.Order(), reports);
        // The moments pass reports between calibration (up to 0.3) and the rounding (from 0.4).
        Assert.Contains(reports, r => r > 0.3 && r < 0.4);
    }

    [Fact]
    public void A_second_run_with_the_caches_reads_no_sample_and_writes_the_same_model()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        var cache = new AdaRoundCache();
        var first = StaticQdqQuantizer.Quantize(model, Recipe("adaround"), Images(4, 10), options: new StaticQdqOptions(Ranges: ranges, AdaRound: cache));
        Assert.Equal(2, cache.Moments.Count);
        Assert.Equal(2, cache.Rounded.Count);

        SampleFeed untouchable = new(() => throw new InvalidOperationException("the feed was read again"), 4, synthetic: false);
        var second = StaticQdqQuantizer.Quantize(model, Recipe("adaround"), untouchable, options: new StaticQdqOptions(Ranges: ranges, AdaRound: cache));
        Assert.Equal(first.Model, second.Model);

        // A rounding found for other scales is not reused: it is found again from the cached moments.
        foreach (var name in cache.Rounded.Keys.ToList())
            cache.Rounded[name] = cache.Rounded[name] with { Scales = cache.Rounded[name].Scales.Select(x => x * 2).ToArray(), Values = new byte[cache.Rounded[name].Values.Length] };
        var third = StaticQdqQuantizer.Quantize(model, Recipe("adaround"), untouchable, options: new StaticQdqOptions(Ranges: ranges, AdaRound: cache));
        Assert.Equal(first.Model, third.Model);
    }

    [Theory]
    [InlineData("per-tensor")]
    [InlineData("per-channel")]
    public void MatMul_and_Gemm_weights_are_rounded_too(string granularity)
    {
        var model = OnnxModel.FromProto(GemmMatMulModel.Build());
        var feed = TestData.Feed(4, i => Tensor.Create(TestData.Uniform(32 * 16, 0, 2, seed: 60 + i), 32, 16));
        Recipe With(string algorithm) => Recipe(algorithm) with { Weights = Recipe(algorithm).Weights! with { Granularity = granularity } };
        var nearest = StaticQdqQuantizer.Quantize(model, With("rtn"), feed);
        var adaptive = StaticQdqQuantizer.Quantize(model, With("adaround"), feed);
        Assert.StartsWith("adaround rounded 2 weight(s) adaptively", Assert.Single(adaptive.Warnings, w => w.StartsWith("adaround")));
        var heldOut = TestData.Feed(4, i => Tensor.Create(TestData.Uniform(32 * 16, 0, 2, seed: 90 + i), 32, 16));
        double before = OutputError(model, nearest, heldOut), after = OutputError(model, adaptive, heldOut);
        output.WriteLine($"Gemm -> MatMul, {granularity}: held-out output MSE {before:E3} round-to-nearest, {after:E3} AdaRound");
        Assert.True(after < before, $"{after:E3} vs {before:E3}");
    }

    [Fact]
    public void A_weight_it_cannot_treat_keeps_round_to_nearest_and_the_report_names_it()
    {
        // A 1-D Conv: AdaRound's patch moments are built for 2-D Convs only.
        var graph = new Onnx.Proto.GraphProto { Name = "conv1d" };
        graph.Input.Add(ModelBuilder.Tensor("x", 1, 1, 4, 16));
        graph.Output.Add(ModelBuilder.Tensor("y", 1));
        graph.Initializer.Add(Onnx.Graph.TensorData.Create<float>("w", TestData.Uniform(3 * 4 * 3, -1, 1, seed: 4), [3, 4, 3]));
        graph.Node.Add(ModelBuilder.Node("Conv", "line", ["x", "w"], ["y"]));
        var proto = new Onnx.Proto.ModelProto { IrVersion = 8, Graph = graph };
        proto.OpsetImport.Add(new Onnx.Proto.OperatorSetIdProto { Domain = "", Version = 13 });
        var feed = TestData.Feed(2, i => Tensor.Create(TestData.Uniform(4 * 16, 0, 1, seed: 20 + i), 1, 4, 16));
        var result = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(proto), Recipe("adaround"), feed);
        Assert.Equal("adaround rounded 0 weight(s) adaptively; round-to-nearest kept for 1: line (Conv weight layout).",
            Assert.Single(result.Warnings, w => w.StartsWith("adaround")));
    }
}
