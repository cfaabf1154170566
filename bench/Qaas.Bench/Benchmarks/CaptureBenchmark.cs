using System.Diagnostics;
using Google.Protobuf;
using Qaas.Bench.Measurement;
using Qaas.Bench.Models;
using Qaas.Bench.Reporting;
using Qaas.Onnx.Io;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Bench.Benchmarks;

/// <summary>
/// PP-OCRv4 det with every intermediate float tensor as a graph output (what calibration runs) against the plain model.
/// The capture runs through an <see cref="OutputCapture"/>: outputs stay in ORT tensors reused by every run and are read
/// in place; the older path (InferenceSession.Run copying each output into a new managed array) is timed alongside.
/// Both sessions: 1 intra-op thread, spinning off (an idle spinning pool would steal the other session's core);
/// runs alternate so machine noise hits both alike.
/// </summary>
public sealed class CaptureBenchmark : IBenchmark
{
    private const int WarmUp = 2;
    private const int Pairs = 12;

    public string Name => "capture";

    public Task<BenchReport> RunAsync()
    {
        var proto = OnnxModel.Load(RepositoryPaths.PpOcrDet).Proto;
        var (captureBytes, added) = CaptureModel.WithAllFloatIntermediates(proto);
        var options = new InferenceSessionOptions { IntraOpThreads = 1, InterOpThreads = 1, AllowSpinning = false };
        using var plain = InferenceSession.Create(proto.ToByteArray(), options);
        using var capture = InferenceSession.Create(captureBytes, options);

        var rng = new Random(1);
        var x = new float[3 * 640 * 640];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var inputs = new Dictionary<string, Tensor> { [plain.Inputs[0].Name] = Tensor.Create(x, 1, 3, 640, 640) };

        using var inPlace = capture.CreateCapture();
        inPlace.Run(inputs);
        long capturedBytes = inPlace.ByteCount;

        var tPlain = new List<double>();
        var tInPlace = new List<double>();
        var cpuRatios = new List<double>();
        var tCopied = new List<double>();
        var tSameOutputs = new List<double>();
        var original = plain.Outputs.Select(o => o.Name).ToArray();
        for (var i = -WarmUp; i < Pairs; i++)
        {
            var (a, aCpu) = Time(() => plain.Run(inputs));
            var (b, bCpu) = Time(() => inPlace.Run(inputs));
            var (c, _) = Time(() => capture.Run(inputs));
            var (d, _) = Time(() => capture.Run(inputs, original));
            if (i < 0) continue;
            cpuRatios.Add(bCpu / aCpu);
            tPlain.Add(a);
            tInPlace.Add(b);
            tCopied.Add(c);
            tSameOutputs.Add(d);
        }
        var ratios = tPlain.Zip(tInPlace, (p, c) => c / p).ToList();
        var copiedRatios = tPlain.Zip(tCopied, (p, c) => c / p).ToList();
        double mp = Stats.Median(tPlain), mc = Stats.Median(tInPlace), ratio = Stats.Median(ratios);
        return Task.FromResult(new BenchReport(Name, $"PP-OCRv4 det, x[1,3,640,640], all {added.Count} intermediate float tensors captured vs plain run")
            .Figure($"plain run (median of {Pairs})", $"{mp:F1} ms")
            .Figure($"capture run, OutputCapture (median of {Pairs})", $"{mc:F1} ms, {Units.Bytes(capturedBytes)} of outputs reused in place, read as spans")
            .Figure("capture run, InferenceSession.Run", $"{Stats.Median(tCopied):F1} ms, {Stats.Median(copiedRatios):F2}x (fresh outputs copied into new managed arrays)")
            .Figure("capture model, original output only", $"{Stats.Median(tSameOutputs):F1} ms (graph outputs block fusions and buffer reuse)")
            .Figure("capture / plain in thread CPU time", $"{Stats.Median(cpuRatios):F2}x (median of pair ratios; the runs execute on the calling thread, so this ignores time other processes held the core)")
            .Target("capture / plain (median of pair ratios)", $"{ratio:F2}x", "<= 1.5x", ratio <= 1.5)
            .Note("1 intra-op thread, allow_spinning off, runs alternate plain/capture; Constant-node outputs (weights) are not captured"));
    }

    /// <returns>Wall milliseconds and the calling thread's CPU milliseconds.</returns>
    private static (double Wall, double Cpu) Time(Action a)
    {
        var cpu = ThreadCpu.Milliseconds();
        var sw = Stopwatch.StartNew();
        a();
        return (sw.Elapsed.TotalMilliseconds, ThreadCpu.Milliseconds() - cpu);
    }
}
