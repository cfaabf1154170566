using Qaas.Onnx.Io;
using Qaas.Quantization.Calibration;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Static;

public class CalibrationRunnerTests
{
    private static SampleFeed Feed(int count) => new(() => Enumerable.Range(0, count).Select(i =>
        (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(TestData.Uniform(3 * 10 * 10, -1 - i, 1 + i, seed: 10 + i), 1, 3, 10, 10),
        }), count, synthetic: false);

    [Fact]
    public void Minmax_ranges_match_the_tensors_ORT_computes_for_every_sample()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var feed = Feed(3);
        var progress = new List<double>();

        var ranges = CalibrationRunner.Run(model, ["x", "conv1", "relu"], feed,
            new ActivationSpec { Type = "uint8", Calibration = "minmax" }, CancellationToken.None, new ProgressRecorder(progress));

        // Reference: the same tensors read back from a session over the model with them as (shape-less) outputs.
        using var session = InferenceSession.Create(CalibrationRunner.WithOutputs(model.Proto, ["conv1", "relu"]));
        float convMin = float.MaxValue, convMax = float.MinValue, reluMax = 0, xMin = float.MaxValue, xMax = float.MinValue;
        foreach (var sample in feed.Samples())
        {
            var outputs = session.Run(sample, ["conv1", "relu"]);
            var conv = outputs["conv1"].AsSpan<float>();
            foreach (var v in conv) { convMin = Math.Min(convMin, v); convMax = Math.Max(convMax, v); }
            foreach (var v in outputs["relu"].AsSpan<float>()) reluMax = Math.Max(reluMax, v);
            foreach (var v in sample["x"].AsSpan<float>()) { xMin = Math.Min(xMin, v); xMax = Math.Max(xMax, v); }
        }
        Assert.Equal((xMin, xMax), ranges["x"]);
        Assert.Equal((convMin, convMax), ranges["conv1"]);
        Assert.Equal(0f, ranges["relu"].Min);
        Assert.Equal(reluMax, ranges["relu"].Max);
        Assert.True(convMin < 0);
        Assert.Equal(1.0, progress[^1]);
    }

    [Fact]
    public void Entropy_calibration_clips_inside_the_observed_range()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var minmax = CalibrationRunner.Run(model, ["conv1"], Feed(2), new ActivationSpec { Type = "uint8", Calibration = "minmax" }, CancellationToken.None);
        var entropy = CalibrationRunner.Run(model, ["conv1"], Feed(2), new ActivationSpec { Type = "uint8", Calibration = "entropy" }, CancellationToken.None);

        Assert.True(entropy["conv1"].Max > 0);
        Assert.True(entropy["conv1"].Max <= Math.Max(-minmax["conv1"].Min, minmax["conv1"].Max));
    }

    [Fact]
    public void Cancellation_stops_the_run()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => CalibrationRunner.Run(model, ["conv1"], Feed(2),
            new ActivationSpec { Type = "uint8", Calibration = "minmax" }, cts.Token));
    }
}
