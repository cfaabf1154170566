using System.Diagnostics;
using Qaas.Bench.Reporting;
using Qaas.Quantization.Algorithms;

namespace Qaas.Bench.Benchmarks;

/// <summary>
/// Wall time of one GPTQ pass (Hessian inverse + lazy-batch error feedback) over a [K, 1024] weight, int4 blocks of 32,
/// for K = 1024 and 2048, with a Hessian from 256 random input rows. No target: the figure says what a layer costs.
/// </summary>
public sealed class GptqBenchmark : IBenchmark
{
    private const int N = 1024, Rows = 256;

    public string Name => "gptq";

    public Task<BenchReport> RunAsync()
    {
        var report = new BenchReport(Name, $"Gptq.Quantize on W[K, {N}], int4 symmetric, blocks of 32, Hessian from {Rows} random rows");
        foreach (var k in new[] { 1024, 2048 })
        {
            var random = new Random(k);
            var w = new float[k * N];
            for (int i = 0; i < w.Length; i++) w[i] = (float)(random.NextDouble() - 0.5);
            var x = new double[Rows * k];
            for (int i = 0; i < x.Length; i++) x[i] = random.NextDouble() - 0.5;
            var h = new double[k * k];
            for (int r = 0; r < Rows; r++)
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++)
                        h[i * k + j] += x[r * k + i] * x[r * k + j];
            var clock = Stopwatch.StartNew();
            Gptq.Quantize(w, k, N, h, bits: 4, groupSize: 32, symmetric: true);
            report.Figure($"K = {k}", $"{clock.Elapsed.TotalSeconds:F1} s");
        }
        return Task.FromResult(report.Note($"all {Environment.ProcessorCount} cores (the Hessian inverse's rows run in parallel)"));
    }
}
