using Qaas.Quantization.Evaluation;

namespace Qaas.Quantization.Tests.Evaluation;

public class LatencyBenchmarkTests
{
    [Fact]
    public void Both_models_get_ordered_positive_percentiles()
    {
        var cls = File.ReadAllBytes(RepositoryPaths.PpOcrCls);
        var feed = InputSynthesizer.FromModel(Onnx.Io.OnnxModel.Load(RepositoryPaths.PpOcrCls).Proto, 1, 0,
            new Dictionary<string, long[]> { ["x"] = [1, 3, 48, 192] });

        var report = LatencyBenchmark.Measure(cls, cls, feed, repeats: 8, new EvaluationRuntime(Threads: 1), warmup: 1);

        foreach (var s in new[] { report.Original, report.Quantized })
        {
            Assert.True(s.P50Ms > 0, $"p50 {s.P50Ms}");
            Assert.True(s.P50Ms <= s.P90Ms && s.P90Ms <= s.P99Ms, $"{s}");
        }
        Assert.Equal(report.Original.P50Ms / report.Quantized.P50Ms, report.Speedup, 12);
        Assert.Equal("cpu", report.ExecutionProvider);
        Assert.Equal(1, report.Threads);
        Assert.Equal(8, report.Repeats);
        Assert.Equal([1L, 3, 48, 192], report.InputShapes["x"]);
    }

    [Fact]
    public void Percentiles_interpolate_between_sorted_values()
    {
        var s = Percentiles.Of([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
        Assert.Equal(5.5, s.P50Ms, 12);
        Assert.Equal(9.1, s.P90Ms, 12);
        Assert.Equal(9.91, s.P99Ms, 12);
        Assert.Equal(new Qaas.Quantization.Reports.LatencyStats(3, 3, 3), Percentiles.Of([3]));
    }
}
