using System.Diagnostics;
using Qaas.Bench.Measurement;
using Qaas.Bench.Models;
using Qaas.Bench.Reporting;
using Qaas.Onnx.Io;

namespace Qaas.Bench.Benchmarks;

/// <summary>
/// OnnxModel.Load + SaveToFolder of a model with external weights (1 GiB; 2.25 GiB for onnx-io-large, past protobuf's
/// 2 GiB limit and int32 offsets), against File.Copy of the same data file, alternating in one run so both see the same
/// page cache and disk; and the process's RSS growth during load + save (one copy of the weights at most).
/// </summary>
public sealed class OnnxIoBenchmark(string name = "onnx-io", int layers = 16, int rounds = 5) : IBenchmark
{
    private const int Dim = 4096; // each layer 4096 x 4096 x 4 B = 64 MiB
    private const double MaxGrowthPerDataByte = 1.3;

    public string Name => name;

    /// <summary>36 layers: 2.25 GiB of external data, 3 rounds (needs ~7 GiB of free disk in the temp folder).</summary>
    public static OnnxIoBenchmark Large() => new("onnx-io-large", layers: 36, rounds: 3);

    public Task<BenchReport> RunAsync()
    {
        using var temp = new TempFolder();
        var modelPath = ExternalWeightsModel.Write(Path.Combine(temp.Path, "src"), layers, Dim);
        var dataPath = Path.Combine(temp.Path, "src", ExternalWeightsModel.DataFileName);
        var dataBytes = new FileInfo(dataPath).Length;
        var pid = Environment.ProcessId;

        var target = Path.Combine(temp.Path, "out");
        var times = new[] { new List<double>(), new List<double>(), new List<double>() }; // File.Copy, CopyTo, load + save
        long peakGrowth = 0, sampledGrowth = 0;
        var hwmReset = true;
        for (var round = -1; round < rounds; round++) // round -1 warms up the JIT and the page cache
        {
            // Rotate the order each round: write-back of one operation's output slows whichever runs next.
            for (var j = 0; j < 3; j++)
            {
                var op = (j + Math.Max(round, 0)) % 3;
                Directory.CreateDirectory(target);
                double seconds;
                if (op == 2)
                {
                    var (t, hwm, sampled) = LoadSave(modelPath, target, pid);
                    seconds = t;
                    if (hwm is null) hwmReset = false; else peakGrowth = Math.Max(peakGrowth, hwm.Value);
                    sampledGrowth = Math.Max(sampledGrowth, sampled);
                    var savedData = new FileInfo(Path.Combine(target, new ModelSaveOptions().DataFileName)).Length;
                    if (savedData != dataBytes) throw new InvalidOperationException($"saved data is {savedData} bytes, expected {dataBytes}");
                }
                else seconds = op == 0 ? Time(() => File.Copy(dataPath, Path.Combine(target, "copy.data"))) : Time(() => StreamCopy(dataPath, Path.Combine(target, "copy.data")));
                if (round >= 0) times[op].Add(seconds);
                Directory.Delete(target, true);
            }
        }

        var growth = hwmReset ? peakGrowth : sampledGrowth;
        var ratios = times[2].Zip(times[0], (io, c) => io / c).ToList();
        double tCopy = Stats.Median(times[0]), tStream = Stats.Median(times[1]), tIo = Stats.Median(times[2]), ratio = Stats.Median(ratios);
        var report = new BenchReport(Name, $"OnnxModel.Load + SaveToFolder, {layers} MatMul initializers, {Units.Bytes(dataBytes)} external data")
            .Figure($"load + save (median of {rounds})", $"{tIo:F2} s ({Units.MBps(dataBytes, tIo)})")
            .Figure($"File.Copy of the data (median of {rounds})", $"{tCopy:F2} s ({Units.MBps(dataBytes, tCopy)})")
            .Figure($"FileStream.CopyTo 1 MiB (median of {rounds})", $"{tStream:F2} s ({Units.MBps(dataBytes, tStream)})")
            .Figure("RSS growth, 10 ms VmRSS sampler", Units.Bytes(sampledGrowth))
            .Target("load + save / File.Copy (median of rounds)", $"{ratio:F2}x", "<= 2.0x", ratio <= 2.0)
            .Target(hwmReset ? "peak RSS growth (VmHWM)" : "peak RSS growth (sampled)", Units.Bytes(growth),
                $"<= {MaxGrowthPerDataByte:F1}x data = {Units.Bytes((long)(MaxGrowthPerDataByte * dataBytes))}", growth <= MaxGrowthPerDataByte * dataBytes);
        report.Note("all three read from and write into the page cache (no fsync); order rotates per round; File.Copy is an in-kernel copy on Linux (like cp)");
        return Task.FromResult(report);
    }

    /// <returns>Seconds, peak RSS growth from VmHWM (null when it cannot be reset) and from the sampler.</returns>
    private static (double Seconds, long? Hwm, long Sampled) LoadSave(string modelPath, string target, int pid)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var before = ProcessMemory.Rss(pid) ?? 0;
        var reset = ProcessMemory.ResetPeak(pid);
        double seconds;
        long sampled;
        using (var sampler = new RssSampler(pid))
        {
            seconds = Time(() => OnnxModel.Load(modelPath).SaveToFolder(target));
            sampled = sampler.Max - before;
        }
        return (seconds, reset ? (ProcessMemory.Peak(pid) ?? 0) - before : null, sampled);
    }

    private static void StreamCopy(string from, string to)
    {
        using var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var target = new FileStream(to, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        source.CopyTo(target, 1 << 20);
    }

    private static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalSeconds;
    }
}
