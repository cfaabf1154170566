using System.Diagnostics;
using Google.Protobuf;
using Qaas.Bench.Measurement;
using Qaas.Bench.Models;
using Qaas.Bench.Reporting;
using Qaas.Quantization.Calibration;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Runtime.Sessions;

namespace Qaas.Bench.Benchmarks;

/// <summary>
/// CalibrationRunner as the int8-static job runs it (PP-OCR cls, the Conv/MatMul activations, min/max) against plain
/// fp32 inference over the same streamed samples; a third variant runs the capture model and drops the outputs, which
/// splits the overhead into ONNX Runtime's capture and our observers. Then the peak RSS of a 10- and a 1,000-sample
/// calibration. Every session: 1 intra-op thread, spinning off; session creation is inside each timed pass. Process CPU
/// time beside wall time: on a machine whose other core is busy the observers cannot run beside inference, and the
/// wall ratio then tends to the CPU ratio.
/// </summary>
public sealed class CalibrationBenchmark : IBenchmark
{
    private const int Samples = 200, Pairs = 9, SampleSeed = 7;
    private const int FewSamples = 10, ManySamples = 1000, HistogramPairs = 3;

    private static readonly InferenceSessionOptions Options = new() { IntraOpThreads = 1, InterOpThreads = 1, AllowSpinning = false };

    public string Name => "calibration";

    public Task<BenchReport> RunAsync()
    {
        var target = CalibrationTarget.Int8Static(RepositoryPaths.PpOcrCls);
        var lines = new OcrClassifierFeed(distinctLines: 16, seed: 1);
        var feed = lines.Take(Samples, SampleSeed);
        var minMax = Spec("minmax");
        // What the runner captures: neither graph inputs (read from the feed) nor tensors whose min/max it derives.
        var derived = MonotoneRanges.Plan(target.Model, target.Tensors);
        var pointwise = PointwiseRanges.Plan(target.Model, target.Tensors, derived);
        var captured = target.Tensors.Where(t => target.Model.Graph.Input.All(i => i.Name != t) && !derived.IsDerived(t)
            && !pointwise.IsDerived(t)).ToList();

        Plain(target, lines.Take(FewSamples, SampleSeed)); // warm-up: JIT, ORT's first session
        Capture(target, captured, lines.Take(FewSamples, SampleSeed));
        Calibrate(target, lines.Take(FewSamples, SampleSeed), minMax);

        var tPlain = new List<double>();
        var tCalibrate = new List<double>();
        var tCapture = new List<double>();
        var cpuPlain = new List<double>();
        var cpuCalibrate = new List<double>();
        for (var i = 0; i < Pairs; i++)
        {
            tPlain.Add(Time(() => Plain(target, feed), cpuPlain));
            tCalibrate.Add(Time(() => Calibrate(target, feed, minMax), cpuCalibrate));
            tCapture.Add(Time(() => Capture(target, captured, feed)));
        }
        var ratio = Stats.Median(tPlain.Zip(tCalibrate, (p, c) => c / p));
        var cpuRatio = Stats.Median(cpuPlain.Zip(cpuCalibrate, (p, c) => c / p));
        double plain = Stats.Median(tPlain), calibrate = Stats.Median(tCalibrate), capture = Stats.Median(tCapture);

        var (capturedBytes, observeOnly) = ObserversAlone(target, captured, pointwise, lines.Take(1, SampleSeed));
        var report = new BenchReport(Name, $"CalibrationRunner (int8-static: {target.Tensors.Count} activations of PP-OCR cls, x[1,3,48,192]) vs plain fp32 inference, {Samples} streamed samples")
            .Figure($"plain inference (median of {Pairs})", PerSample(plain))
            .Figure($"calibration, minmax (median of {Pairs})", PerSample(calibrate))
            .Figure("  capture model run, outputs dropped", PerSample(capture) + $" (ORT running the graph with the extra outputs: {Share(capture - plain, calibrate - plain)} of the overhead)")
            .Figure("  min/max observers alone (with pointwise functions), same outputs", $"{observeOnly * 1000:F2} ms/sample over {capturedBytes / 1048576.0:F1} MiB captured per sample")
            .Figure("  tensors captured", $"{captured.Count} of {target.Tensors.Count} ({derived.Derived.Count} derived through monotone ops, {pointwise.Derived.Count} computed from their sources' values, {target.Tensors.Count - captured.Count - derived.Derived.Count - pointwise.Derived.Count} graph inputs)")
            .Figure("calibration / plain CPU time (median of pair ratios)", $"{cpuRatio:F2}x (all threads of the process)")
            .Target("calibration / plain (median of pair ratios)", $"{ratio:F2}x", "<= 1.3x", ratio <= 1.3);
        // The histogram methods (the int8-static preset calibrates with mse), each paired with a plain run like above.
        var scaled = MonotoneRanges.Plan(target.Model, target.Tensors, histograms: true).Derived.Count;
        report.Figure("  histogram methods: tensors captured", $"{target.Tensors.Count - scaled - (target.Tensors.Count - captured.Count - derived.Derived.Count - pointwise.Derived.Count)} of {target.Tensors.Count} ({scaled} reshaped or positively scaled copies of another)");
        foreach (var method in new[] { "percentile", "entropy", "mse" })
        {
            var ratios = new List<double>();
            var times = new List<double>();
            for (var i = 0; i < HistogramPairs; i++)
            {
                var p = Time(() => Plain(target, feed));
                times.Add(Time(() => Calibrate(target, feed, Spec(method))));
                ratios.Add(times[^1] / p);
            }
            report.Figure($"  {method} (median of {HistogramPairs} pairs, for information)", $"{PerSample(Stats.Median(times))}, {Stats.Median(ratios):F2}x plain");
        }

        var few = PeakGrowth(() => Calibrate(target, lines.Take(FewSamples, SampleSeed), minMax));
        var many = PeakGrowth(() => Calibrate(target, lines.Take(ManySamples, SampleSeed), minMax));
        if (few is { } a && many is { } b)
            report.Figure($"peak RSS growth, {FewSamples} samples", Units.Bytes(a.Growth) + $" (VmHWM {Units.Bytes(a.Peak)})")
                .Figure($"peak RSS growth, {ManySamples} samples", Units.Bytes(b.Growth) + $" (VmHWM {Units.Bytes(b.Peak)})")
                .Target($"peak memory (VmHWM) {ManySamples} / {FewSamples} samples", $"{(double)b.Peak / a.Peak:F2}x", "<= 1.1x", b.Peak <= a.Peak * 1.1)
                .Note("growth figures of a few MiB are GC and allocator noise; the 1,000-sample run holds no sample after its use");
        else
            report.Note("peak RSS not measured: the kernel refused the VmHWM reset (/proc/self/clear_refs)");
        return Task.FromResult(report
            .Note("1 intra-op thread, allow_spinning off, session creation inside every pass; runs alternate plain/calibration/capture")
            .Note("observers run on their own thread beside inference of the next sample; with no free core the wall ratio nears the CPU ratio")
            .Note("samples are 16 rendered text lines rolled by a seeded offset into a fresh array each (streamed, never listed)"));
    }

    private static ActivationSpec Spec(string method) => new() { Type = "uint8", Calibration = method, Symmetric = false };

    private static void Plain(CalibrationTarget target, SampleFeed feed)
    {
        using var session = InferenceSession.Create(target.Model.Proto.ToByteArray(), Options);
        foreach (var sample in feed.Samples())
            GC.KeepAlive(session.Run(sample));
    }

    private static void Capture(CalibrationTarget target, IReadOnlyList<string> tensors, SampleFeed feed)
    {
        using var session = InferenceSession.Create(CalibrationRunner.WithOutputs(target.Model.Proto, tensors), Options);
        using var capture = session.CreateCapture(tensors); // as the runner captures: reused buffers, nothing copied
        foreach (var sample in feed.Samples())
            capture.Run(sample);
    }

    /// <summary>
    /// Bytes one sample captures, and the median time of folding them into fresh min/max observers, with the ranges
    /// of the pointwise functions of each, as the runner does.
    /// </summary>
    private static (long Bytes, double Seconds) ObserversAlone(CalibrationTarget target, IReadOnlyList<string> tensors,
        PointwiseRanges pointwise, SampleFeed one)
    {
        using var session = InferenceSession.Create(CalibrationRunner.WithOutputs(target.Model.Proto, tensors), Options);
        var outputs = session.Run(one.Samples().First(), tensors)
            .Select(kv => (Values: kv.Value.ToArray<float>(), Functions: pointwise.From(kv.Key))).ToArray();
        var times = new List<double>();
        for (var i = 0; i < 50; i++)
            times.Add(Time(() =>
            {
                foreach (var (values, functions) in outputs)
                {
                    if (functions.Count == 0)
                        new MinMaxObserver().Observe(values);
                    foreach (var (_, f) in functions) // each pass also yields the source's own range
                    {
                        var (range, source) = f.RangesOf(values);
                        new MinMaxObserver().ObserveExtremes(range.Min, range.Max);
                    }
                }
            }));
        return (outputs.Sum(o => (long)o.Values.Length) * sizeof(float), Stats.Median(times));
    }

    private static void Calibrate(CalibrationTarget target, SampleFeed feed, ActivationSpec spec) =>
        GC.KeepAlive(CalibrationRunner.Run(target.Model, target.Tensors, feed, spec, CancellationToken.None, intraOpThreads: 1));

    /// <summary>VmHWM reset to the current RSS after a full collection, then the peak above it during the action.</summary>
    private static (long Growth, long Peak)? PeakGrowth(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var pid = Environment.ProcessId;
        var before = ProcessMemory.Rss(pid) ?? 0;
        if (!ProcessMemory.ResetPeak(pid))
            return null;
        action();
        var peak = ProcessMemory.Peak(pid) ?? 0;
        return (peak - before, peak);
    }

    private static string PerSample(double seconds) => $"{seconds * 1000:F0} ms ({seconds * 1000 / Samples:F2} ms/sample)";

    private static string Share(double part, double whole) => whole <= 0 ? "n/a" : $"{Math.Clamp(part / whole, 0, 1):P0}";

    private static double Time(Action a, List<double>? cpuMilliseconds = null)
    {
        var cpu = ThreadCpu.ProcessMilliseconds();
        var sw = Stopwatch.StartNew();
        a();
        var seconds = sw.Elapsed.TotalSeconds;
        cpuMilliseconds?.Add(ThreadCpu.ProcessMilliseconds() - cpu);
        return seconds;
    }
}
