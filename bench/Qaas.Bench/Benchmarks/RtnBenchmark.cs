using System.Diagnostics;
using System.Numerics.Tensors;
using Qaas.Bench.Measurement;
using Qaas.Bench.Reporting;
using Qaas.Quantization.Algorithms;

namespace Qaas.Bench.Benchmarks;

/// <summary>
/// RTN int4 block-32 (MatMulNBitsPacker.Pack) throughput in GB/s of fp32 read, against a plain parallel sum of the
/// same arrays in the same run: weight quantization streams its input, so the read rate is its ceiling.
/// </summary>
public sealed class RtnBenchmark : IBenchmark
{
    private const int K = 4096, N = 4096, Matrices = 4; // 4 x 64 MiB = 256 MiB of fp32
    private const int Rounds = 3;

    public string Name => "rtn";

    public Task<BenchReport> RunAsync()
    {
        var rng = new Random(3);
        var weights = Enumerable.Range(0, Matrices).Select(_ =>
        {
            var w = new float[K * N];
            for (var i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * 0.05f;
            return w;
        }).ToArray();
        var bytes = (long)Matrices * K * N * sizeof(float);

        var read = new List<double>();
        var pack = new List<double>();
        var quantizeOnly = new List<double>();
        double sink = 0;
        for (var round = -1; round < Rounds; round++) // round -1 is the warm-up
        {
            var sw = Stopwatch.StartNew();
            foreach (var w in weights) sink += ParallelSum(w);
            var tRead = sw.Elapsed.TotalSeconds;
            sw.Restart();
            foreach (var w in weights) sink += MatMulNBitsPacker.Pack(w, K, N, bits: 4, blockSize: 32, symmetric: false).B.Length;
            var tPack = sw.Elapsed.TotalSeconds;
            sw.Restart();
            foreach (var w in weights) sink += Rtn.Quantize(w, K, N, 0, 15, symmetric: false, blockSize: 32).Values.Length;
            var tQuantize = sw.Elapsed.TotalSeconds;
            if (round < 0) continue;
            quantizeOnly.Add(bytes / tQuantize / 1e9);
            read.Add(bytes / tRead / 1e9);
            pack.Add(bytes / tPack / 1e9);
        }
        GC.KeepAlive(sink);
        double r = Stats.Median(read), p = Stats.Median(pack), ratio = p / r;
        return Task.FromResult(new BenchReport(Name, $"MatMulNBitsPacker.Pack int4 block 32 asymmetric, {Matrices} x [{K},{N}] fp32 ({Units.Bytes(bytes)})")
            .Figure($"plain read (parallel sum, median of {Rounds})", Units.GBps(r))
            .Figure($"RTN int4 pack (median of {Rounds})", Units.GBps(p) + " of fp32 read")
            .Figure("  of which Rtn.Quantize alone (no packing)", Units.GBps(Stats.Median(quantizeOnly)))
            .Target("pack / read", $"{ratio:F2}x", ">= 0.5x", ratio >= 0.5)
            .Note($"both use all {Environment.ProcessorCount} cores (Pack's default parallelism; the sum is split across cores)"));
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
