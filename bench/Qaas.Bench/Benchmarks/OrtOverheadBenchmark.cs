using System.Diagnostics;
using Qaas.Bench.Measurement;
using Qaas.Bench.Models;
using Qaas.Bench.Reporting;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Bench.Benchmarks;

/// <summary>Per-call cost of InferenceSession.Run through our C-API binding on a one-Add model over float[1].</summary>
public sealed class OrtOverheadBenchmark : IBenchmark
{
    private const int Batches = 30;
    private const int CallsPerBatch = 2000;

    public string Name => "ort-overhead";

    public Task<BenchReport> RunAsync()
    {
        using var session = InferenceSession.Create(TinyAddModel.Bytes(),
            new InferenceSessionOptions { IntraOpThreads = 1, InterOpThreads = 1, AllowSpinning = false });
        var inputs = new Dictionary<string, Tensor>
        {
            ["A"] = Tensor.Create(new[] { 1f }, 1),
            ["B"] = Tensor.Create(new[] { 2f }, 1),
        };
        var named = inputs.Select(kv => new NamedTensor(kv.Key, kv.Value)).ToArray();
        string[] outputs = ["C"];

        var check = session.Run(inputs)["C"].ToArray<float>()[0];
        if (check != 3f) throw new InvalidOperationException($"1 + 2 gave {check}");

        var (dict, list) = MeasurePair(() => session.Run(inputs, outputs), () => session.Run(named, outputs));
        var allocated = AllocatedPerCall(() => session.Run(named, outputs));

        return Task.FromResult(new BenchReport(Name, "InferenceSession.Run on Add(float[1], float[1]), 1 intra-op thread")
            .Figure($"Run(dictionary) per call (median of {Batches}x{CallsPerBatch})", $"{Stats.Median(dict):F2} us (p90 of batches {Stats.Percentile(dict, 90):F2} us)")
            .Figure($"Run(NamedTensor list) per call", $"{Stats.Median(list):F2} us (p90 of batches {Stats.Percentile(list, 90):F2} us)")
            .Figure("managed bytes allocated per call", $"{allocated:F0} B")
            .Note($"ORT {Qaas.Runtime.OrtEnvironment.Instance.Version}; no target set in the issues, ENVIRONMENT.md measured 3-5 us per call here"));
    }

    /// <returns>Microseconds per call, one value per batch; batches of the two calls alternate after warm-up batches.</returns>
    private static (List<double> A, List<double> B) MeasurePair(Action a, Action b)
    {
        var ta = new List<double>();
        var tb = new List<double>();
        for (var batch = -5; batch < Batches; batch++) // 5 warm-up batches: tiered JIT settles
        {
            var x = Batch(a);
            var y = Batch(b);
            if (batch < 0) continue;
            ta.Add(x);
            tb.Add(y);
        }
        return (ta, tb);
    }

    private static double Batch(Action call)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < CallsPerBatch; i++) call();
        return sw.Elapsed.TotalMicroseconds / CallsPerBatch;
    }

    private static double AllocatedPerCall(Action call)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < CallsPerBatch; i++) call();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)CallsPerBatch;
    }
}
