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
        Assert.Equal("cpu", report.ExecutionProvider);
        Assert.Equal(1, report.Threads);
        Assert.Equal(8, report.Repeats);
        Assert.Equal([1L, 3, 48, 192], report.InputShapes["x"]);
    }

    [Fact]
    public void Each_arm_times_its_own_model_and_the_speedup_points_the_right_way()
    {
        // Same input, very different work: 64 chained 512x512 MatMuls against one Relu (~35 MFLOP against ~nothing).
        const int F = (int)Onnx.Proto.TensorProto.Types.DataType.Float, Width = 512, Layers = 64;
        Onnx.Proto.ModelProto Build(bool heavy)
        {
            var g = new Onnx.Proto.GraphProto { Name = heavy ? "heavy" : "light" };
            g.Input.Add(ModelBuilder.Tensor("x", F, 1, Width));
            g.Output.Add(ModelBuilder.Tensor("y", F, 1, Width));
            if (!heavy)
                g.Node.Add(ModelBuilder.Node("Relu", "relu", ["x"], ["y"]));
            for (int i = 0; heavy && i < Layers; i++)
            {
                g.Initializer.Add(Onnx.Graph.TensorData.Create<float>($"w{i}", TestData.Gaussian(Width * Width, 0.04f, seed: i), [Width, Width]));
                g.Node.Add(ModelBuilder.Node("MatMul", $"mm{i}", [i == 0 ? "x" : $"h{i}", $"w{i}"], [i == Layers - 1 ? "y" : $"h{i + 1}"]));
            }
            return ModelBuilder.Model(g);
        }
        var heavy = Google.Protobuf.MessageExtensions.ToByteArray(Build(heavy: true));
        var light = Google.Protobuf.MessageExtensions.ToByteArray(Build(heavy: false));
        var input = new Dictionary<string, Runtime.Tensors.Tensor> { ["x"] = Runtime.Tensors.Tensor.Create(new float[Width], 1, Width) };

        var faster = LatencyBenchmark.Measure(heavy, light, input, repeats: 8, new EvaluationRuntime(Threads: 1), warmup: 1);
        var slower = LatencyBenchmark.Measure(light, heavy, input, repeats: 8, new EvaluationRuntime(Threads: 1), warmup: 1);
        Assert.True(faster.Original.P50Ms > 5 * faster.Quantized.P50Ms, $"{faster.Original} against {faster.Quantized}");
        Assert.True(faster.Speedup > 5, $"speedup {faster.Speedup}");
        Assert.True(slower.Speedup < 0.2, $"speedup {slower.Speedup}");
    }

    [Fact]
    public void A_measurement_whose_p90_runs_far_above_its_p50_is_called_disturbed()
    {
        static Qaas.Quantization.Reports.LatencyReport Report(double p50, double p90) => new(
            new(1.0, 1.1, 1.2), new(p50, p90, p90), 1.0 / p50, 1, "cpu", new Dictionary<string, long[]>(), 20);
        Assert.Null(LatencySpread.Warning(Report(1.4, 1.6)));
        var warning = LatencySpread.Warning(Report(1.4, 9.5));
        Assert.NotNull(warning);
        Assert.Contains("quantized model's p90 is 6.8x its p50", warning);
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
