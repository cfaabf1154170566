using System.Diagnostics;
using System.Numerics.Tensors;
using Qaas.Bench.Measurement;
using Qaas.Bench.Reporting;
using Qaas.Quantization.Algorithms;

namespace Qaas.Bench.Benchmarks;

/// <summary>
/// RTN int4 block-32 (MatMulNBitsPacker.Pack) throughput in GB/s of fp32 read, against a plain parallel sum of the
/// same arrays in the same run: weight quantization streams its input, so the read rate is its ceiling. The arrays
/// together take at least four times the last-level cache, so that both passes stream from memory as a real model's
/// weights do (this machine's 260 MiB L3 held most of a 256 MiB set, and the sum then read it at cache speed).
/// </summary>
public sealed class RtnBenchmark : IBenchmark
{
    private const int K = 4096, N = 4096, MinMatrices = 4; // 64 MiB of fp32 each
    private const long MatrixBytes = (long)K * N * sizeof(float);
    private const int Rounds = 3;

    public string Name => "rtn";

    public Task<BenchReport> RunAsync()
    {
        var cache = CpuCaches.LastLevelBytes();
        var matrices = (int)Math.Max(MinMatrices, ((cache ?? 0) * 4 + MatrixBytes - 1) / MatrixBytes);
        var rng = new Random(3);
        var weights = Enumerable.Range(0, matrices).Select(_ =>
        {
            var w = new float[K * N];
            for (var i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * 0.05f;
            return w;
        }).ToArray();
        var bytes = matrices * MatrixBytes;

        var read = new List<double>();
        var pack = new List<double>();
        var quantizeOnly = new List<double>();
        double sink = 0;
        for (var round = -1; round < Rounds; round++) // round -1 is the warm-up
        {
            var tRead = Timed(() => { foreach (var w in weights) sink += ParallelSum(w); });
            var tPack = Timed(() => { foreach (var w in weights) sink += MatMulNBitsPacker.Pack(w, K, N, bits: 4, blockSize: 32, symmetric: false).B.Length; });
            var tQuantize = Timed(() => { foreach (var w in weights) sink += Rtn.Quantize(w, K, N, 0, 15, symmetric: false, blockSize: 32).Values.Length; });
            if (round < 0) continue;
            quantizeOnly.Add(bytes / tQuantize / 1e9);
            read.Add(bytes / tRead / 1e9);
            pack.Add(bytes / tPack / 1e9);
        }
        GC.KeepAlive(sink);
        double r = Stats.Median(read), p = Stats.Median(pack), ratio = p / r;
        return Task.FromResult(new BenchReport(Name, $"MatMulNBitsPacker.Pack int4 block 32 asymmetric, {matrices} x [{K},{N}] fp32 ({Units.Bytes(bytes)})")
            .Figure($"plain read (parallel sum, median of {Rounds})", Units.GBps(r))
            .Figure($"RTN int4 pack (median of {Rounds})", Units.GBps(p) + " of fp32 read")
            .Figure("  of which Rtn.Quantize alone (no packing)", Units.GBps(Stats.Median(quantizeOnly)))
            .Target("pack / read", $"{ratio:F2}x", ">= 0.5x", ratio >= 0.5)
            .Note($"both use all {Environment.ProcessorCount} cores (Pack's default parallelism; the sum is split across cores)")
            .Note(cache is { } c
                ? $"last-level cache {Units.Bytes(c)}: the arrays are {(double)bytes / c:F1}x its size, so the read streams from memory"
                : "last-level cache size unknown (no sysfs): the arrays may partly sit in cache"));
    }

    // Each pass starts on a collected heap, so none pays for the garbage of the one before (Rtn.Quantize leaves a byte
    // per weight behind).
    private static double Timed(Action pass)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var sw = Stopwatch.StartNew();
        pass();
        return sw.Elapsed.TotalSeconds;
    }

    private static double ParallelSum(float[] w)
    {
        var parts = Environment.ProcessorCount;
        var chunk = (w.Length + parts - 1) / parts;
        var sums = new double[parts];
        Parallel.For(0, parts, i =>
        {
            var start = i * chunk;
            sums[i] = TensorPrimitives.Sum(w.AsSpan(start, Math.Min(chunk, w.Length - start)));
        });
        return sums.Sum();
    }
}
