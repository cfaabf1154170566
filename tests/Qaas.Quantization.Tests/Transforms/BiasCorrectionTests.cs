using Qaas.Onnx.Io;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Quantization.Tests.Static;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;

namespace Qaas.Quantization.Tests.Transforms;

/// <summary>The bias-correction transform on static QDQ models run in ONNX Runtime.</summary>
public class BiasCorrectionTests(ITestOutputHelper output)
{
    // Per-tensor weights make the weight error large enough to move each channel's mean visibly; inputs with a
    // non-zero mean turn that error into a systematic output shift (E[y_q] - E[y] = (W_q - W) E[x]).
    private static Recipe Recipe(bool correct) => RecipeResolver.Resolve(new Recipe
    {
        Preset = "int8-static",
        Weights = new WeightSpec { Granularity = "per-tensor" },
        // Min-max ranges clip nothing, so activation rounding adds no systematic shift of its own (MSE ranges clip tails).
        Activations = new ActivationSpec { Calibration = "minmax" },
        Transforms = correct ? ["fold-batchnorm", "bias-correction"] : ["fold-batchnorm"],
    });

    private static SampleFeed Images(int count, int seed) => new(() => Enumerable.Range(0, count).Select(i =>
        (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(TestData.Uniform(3 * 24 * 24, 0, 2, seed: seed + i), 1, 3, 24, 24),
        }), count, synthetic: false);

    [Fact]
    public void Correction_removes_most_of_the_output_mean_shift_and_adds_the_missing_bias()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var plain = StaticQdqQuantizer.Quantize(model, Recipe(false), Images(8, 10));
        var corrected = StaticQdqQuantizer.Quantize(model, Recipe(true), Images(8, 10));

        // The second Conv had no bias: it now has an int32 one behind a DequantizeLinear.
        var graph = corrected.Model.Graph;
        Assert.All(graph.Node.Where(n => n.OpType == "Conv"), c => Assert.True(c.Input.Count == 3 && c.Input[2].Length > 0));
        Assert.Single(plain.Model.Graph.Node, n => n.OpType == "Conv" && n.Input.Count == 3);

        double before = MeanShift(model, plain, Images(8, 100)), after = MeanShift(model, corrected, Images(8, 100));
        output.WriteLine($"mean |E[y_q] - E[y]| per output channel: {before:E3} without, {after:E3} with bias correction");
        // Measured 6.5e-3 -> 5.2e-4.
        Assert.True(after < 0.25 * before, $"{after:E3} vs {before:E3}");
    }

    [Fact]
    public void Gemm_biases_are_corrected_and_the_model_stays_close()
    {
        var original = GemmMatMulModel.Build();
        SampleFeed feed = new(() => Enumerable.Range(0, 4).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(TestData.Uniform(32 * 16, 0, 2, seed: 60 + i), 32, 16),
        }), 4, synthetic: false);
        var plain = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(original), Recipe(false), feed);
        var corrected = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(original), Recipe(true), feed);

        static int[] GemmBias(Onnx.Proto.ModelProto m)
        {
            var view = new Onnx.Graph.GraphView(m.Graph);
            var gemm = m.Graph.Node.Single(n => n.OpType == "Gemm");
            return Onnx.Graph.TensorData.Read<int>(m.Graph.Initializer.Single(t => t.Name == view.ProducerOf(gemm.Input[2])!.Input[0]));
        }
        Assert.NotEqual(GemmBias(plain.Model), GemmBias(corrected.Model));
        double before = MeanShift(OnnxModel.FromProto(original), plain, feed), after = MeanShift(OnnxModel.FromProto(original), corrected, feed);
        output.WriteLine($"Gemm model mean shift {before:E3} -> {after:E3}");
        // Measured 2.4e-3 -> 1.4e-3: the Gemm's own shift goes; what is left comes from the uncorrected MatMul after it.
        Assert.True(after < 0.75 * before, $"{after:E3} vs {before:E3}");
    }

    [Fact]
    public void A_second_run_with_the_caches_reads_no_sample_and_writes_the_same_model()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        var means = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var first = StaticQdqQuantizer.Quantize(model, Recipe(true), Images(4, 10), options: new StaticQdqOptions(Ranges: ranges, ChannelMeans: means));
        Assert.Equal(2, means.Count); // the inputs of both Convs

        SampleFeed untouchable = new(() => throw new InvalidOperationException("the feed was read again"), 4, synthetic: false);
        var second = StaticQdqQuantizer.Quantize(model, Recipe(true), untouchable, options: new StaticQdqOptions(Ranges: ranges, ChannelMeans: means));
        Assert.Equal(first.Model, second.Model);
    }

    [Fact]
    public void A_model_without_Conv_or_Gemm_gets_a_warning_instead_of_a_silent_no_op()
    {
        var original = Static.GemmMatMulModel.Build();
        // Only the MatMul selected: it has no bias to correct.
        var recipe = RecipeResolver.Resolve(new Recipe
        {
            Preset = "int8-static", Transforms = ["bias-correction"],
            Nodes = new NodeSelection { Include = new NodeFilter { OpTypes = ["MatMul"] } },
        });
        SampleFeed feed = new(() => Enumerable.Range(0, 2).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(TestData.Uniform(8 * 16, 0, 2, seed: 70 + i), 8, 16),
        }), 2, synthetic: false);
        var result = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(original), recipe, feed);
        Assert.Contains(result.Warnings, w => w.StartsWith("bias-correction found no Conv"));
    }

    /// <summary>Mean over output channels of |mean of the quantized model's channel - mean of fp32's|.</summary>
    private static double MeanShift(OnnxModel model, QuantizedModel quantized, SampleFeed feed)
    {
        using var fp32 = new SessionRunner(model.Proto);
        using var q = new SessionRunner(quantized.Model);
        double[]? sum = null;
        int channels = 0, samples = 0;
        foreach (var sample in feed.Samples())
        {
            var reference = fp32.Run(sample);
            var candidate = q.Run(sample);
            var shape = sample["x"].Shape;
            channels = shape.Count == 4 ? (int)(reference.Length / (shape[2] * shape[3])) : (int)(reference.Length / shape[0]);
            sum ??= new double[channels];
            int inner = shape.Count == 4 ? (int)(shape[2] * shape[3]) : 1, outer = shape.Count == 4 ? 1 : (int)shape[0];
            for (int o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                    for (int i = 0; i < inner; i++)
                    {
                        int at = (o * channels + c) * inner + i;
                        sum[c] += (candidate[at] - reference[at]) / (double)(inner * outer);
                    }
            samples++;
        }
        return sum!.Average(s => Math.Abs(s / samples));
    }
}
