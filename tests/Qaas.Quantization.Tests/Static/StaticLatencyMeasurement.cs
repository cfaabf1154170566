using System.Diagnostics;
using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Runtime.Sessions;
using Xunit.Abstractions;

namespace Qaas.Quantization.Tests.Static;

/// <summary>Runs only with QAAS_MEASURE=1 (a measurement, not a test): fp32 vs int8-static latency of PP-OCR det.</summary>
public sealed class MeasurementFactAttribute : FactAttribute
{
    public MeasurementFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("QAAS_MEASURE") != "1")
            Skip = "measurement; set QAAS_MEASURE=1 to run";
    }
}

public class StaticLatencyMeasurement(ITestOutputHelper output)
{
    [MeasurementFact]
    public void Detector_640_fp32_vs_int8_static_one_thread()
    {
        int size = int.TryParse(Environment.GetEnvironmentVariable("QAAS_MEASURE_SIZE"), out var s) ? s : 640;
        Measure(OnnxModel.Load(RepositoryPaths.PpOcrDet), OcrSamples.Detector(2, size, 1), OcrSamples.Detector(1, size, 3), $"det {size}x{size}");
    }

    [MeasurementFact]
    public void Classifier_fp32_vs_int8_static_one_thread() =>
        Measure(OnnxModel.Load(RepositoryPaths.PpOcrCls), OcrSamples.Classifier(8, 1), OcrSamples.Classifier(1, 3), "cls 48x192");

    private void Measure(OnnxModel model, Pipeline.SampleFeed calibration, Pipeline.SampleFeed sample, string label)
    {
        var result = StaticQdqQuantizer.Quantize(model, RecipeResolver.Resolve(new Recipe { Preset = "int8-static" }), calibration);
        var options = new InferenceSessionOptions
        {
            IntraOpThreads = 1, InterOpThreads = 1, AllowSpinning = false,
            ConfigEntries = Environment.GetEnvironmentVariable("QAAS_MEASURE_DUMP") is { } dump
                ? new Dictionary<string, string> { ["session.optimized_model_filepath"] = dump } : new Dictionary<string, string>(),
        };
        using var fp32 = InferenceSession.Create(model.Proto.ToByteArray(), options with { ConfigEntries = new Dictionary<string, string>() });
        using var int8 = InferenceSession.Create(result.Model.ToByteArray(), options);
        var input = sample.Samples().First();
        fp32.Run(input); int8.Run(input); fp32.Run(input); int8.Run(input);
        var a = new List<double>(); var b = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            var sw = Stopwatch.StartNew(); fp32.Run(input); a.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart(); int8.Run(input); b.Add(sw.Elapsed.TotalMilliseconds);
        }
        double Median(List<double> x) { var o = x.Order().ToList(); return (o[o.Count / 2] + o[(o.Count - 1) / 2]) / 2; }
        output.WriteLine($"{label}, 1 thread: fp32 p50 {Median(a):F1} ms, int8 p50 {Median(b):F1} ms, speedup {Median(a) / Median(b):F2}x");
        output.WriteLine("fp32: " + string.Join(" ", a.Select(x => x.ToString("F0"))));
        output.WriteLine("int8: " + string.Join(" ", b.Select(x => x.ToString("F0"))));
    }
}
