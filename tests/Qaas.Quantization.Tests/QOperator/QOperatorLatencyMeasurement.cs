using System.Diagnostics;
using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.QOperator;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Quantization.Tests.Static;
using Qaas.Runtime.Sessions;
using Xunit.Abstractions;

namespace Qaas.Quantization.Tests.QOperator;

/// <summary>Runs only with QAAS_MEASURE=1 (a measurement, not a test): fp32 vs QDQ vs QOperator latency at 1 thread.</summary>
public class QOperatorLatencyMeasurement(ITestOutputHelper output)
{
    [MeasurementFact]
    public void Classifier_fp32_QDQ_QOperator_one_thread() =>
        Measure(OnnxModel.Load(RepositoryPaths.PpOcrCls), OcrSamples.Classifier(8, 1), OcrSamples.Classifier(1, 3), "cls 48x192", 200);

    [MeasurementFact]
    public void Detector_fp32_QDQ_QOperator_one_thread()
    {
        int size = int.TryParse(Environment.GetEnvironmentVariable("QAAS_MEASURE_SIZE"), out var s) ? s : 640;
        Measure(OnnxModel.Load(RepositoryPaths.PpOcrDet), OcrSamples.Detector(2, size, 1), OcrSamples.Detector(1, size, 3), $"det {size}x{size}", 20);
    }

    private void Measure(OnnxModel model, SampleFeed calibration, SampleFeed sample, string label, int rounds)
    {
        var recipe = RecipeResolver.Resolve(RecipeJson.Parse("""{"preset":"int8-static","format":"qoperator"}"""));
        var qdq = StaticQdqQuantizer.Quantize(model, recipe, calibration);
        var qop = QdqToQOperator.Apply(qdq);
        output.WriteLine($"{label}: {qop.Warnings[^1]} nodes: fp32 {model.Proto.Graph.Node.Count}, QDQ {qdq.Model.Graph.Node.Count}, QOperator {qop.Model.Graph.Node.Count}");
        var options = new InferenceSessionOptions { IntraOpThreads = 1, InterOpThreads = 1, AllowSpinning = false };
        ModelProto[] models = [model.Proto, qdq.Model, qop.Model];
        string[] names = ["fp32", "QDQ", "QOperator"];
        var sessions = models.Select(m => InferenceSession.Create(m.ToByteArray(), options)).ToArray();
        try
        {
            var input = sample.Samples().First();
            var reference = sessions[1].Run(input).Values.First().ToArray<float>();
            var converted = sessions[2].Run(input).Values.First().ToArray<float>();
            output.WriteLine($"QOperator vs QDQ max abs {reference.Zip(converted, (a, b) => Math.Abs(a - b)).Max():E3}");
            foreach (var s in sessions) { s.Run(input); s.Run(input); }
            var times = names.Select(_ => new List<double>()).ToArray();
            // Alternating runs: the three variants see the same machine load.
            for (int r = 0; r < rounds; r++)
                for (int v = 0; v < sessions.Length; v++)
                {
                    var sw = Stopwatch.StartNew();
                    sessions[v].Run(input);
                    times[v].Add(sw.Elapsed.TotalMilliseconds);
                }
            double Median(List<double> x) { var o = x.Order().ToList(); return (o[o.Count / 2] + o[(o.Count - 1) / 2]) / 2; }
            var p50 = times.Select(Median).ToArray();
            output.WriteLine($"{label}, 1 thread, {rounds} alternating rounds: " + string.Join(", ", names.Select((n, i) => $"{n} p50 {p50[i]:F2} ms")) +
                $"; speedup vs fp32: QDQ {p50[0] / p50[1]:F2}x, QOperator {p50[0] / p50[2]:F2}x; QOperator/QDQ time {p50[2] / p50[1]:F3}");
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
        }
    }
}
