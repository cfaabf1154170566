using System.Diagnostics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Reports;
using Qaas.Runtime.Providers;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Evaluation;

/// <summary>
/// Times the original and the quantized model on one input with the same threads and execution provider. Both
/// sessions live in this process, so spinning is off (<see cref="EvaluationRuntime"/>), each is warmed up, and runs
/// alternate (original, quantized, original, ...) so both see the same machine conditions.
/// Speedup = original p50 / quantized p50.
/// </summary>
public static class LatencyBenchmark
{
    public const int DefaultRepeats = 20;
    public const int DefaultWarmup = 3;

    public static LatencyReport Measure(
        ReadOnlyMemory<byte> original, ReadOnlyMemory<byte> quantized, IReadOnlyDictionary<string, Tensor> input,
        int repeats = DefaultRepeats, EvaluationRuntime? runtime = null, int warmup = DefaultWarmup, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        runtime ??= new EvaluationRuntime();
        using var a = InferenceSession.Create(original, runtime.SessionOptions());
        using var b = InferenceSession.Create(quantized, runtime.SessionOptions());
        return Measure(a, b, input, runtime.Threads, repeats, warmup, cancellationToken);
    }

    /// <summary>Times two open sessions (the caller owns them and should have created both with
    /// <see cref="EvaluationRuntime.SessionOptions"/>, e.g. to give each its external-data folder).
    /// <paramref name="threads"/> is only reported.</summary>
    public static LatencyReport Measure(
        InferenceSession original, InferenceSession quantized, IReadOnlyDictionary<string, Tensor> input, int threads,
        int repeats = DefaultRepeats, int warmup = DefaultWarmup, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        for (var i = 0; i < warmup; i++)
        {
            original.Run(input, null, cancellationToken);
            quantized.Run(input, null, cancellationToken);
        }
        var ta = new double[repeats];
        var tb = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            ta[i] = Time(original, input, cancellationToken);
            tb[i] = Time(quantized, input, cancellationToken);
        }
        var sa = Percentiles.Of(ta);
        var sb = Percentiles.Of(tb);
        return new LatencyReport(sa, sb, sa.P50Ms / sb.P50Ms, threads,
            // The provider the quantized session really got (a CUDA request may fall back to CPU).
            quantized.ExecutionProvider.ToName(),
            input.ToDictionary(p => p.Key, p => p.Value.Shape.ToArray(), StringComparer.Ordinal),
            repeats);
    }

    /// <summary>Times the feed's first sample.</summary>
    public static LatencyReport Measure(
        ReadOnlyMemory<byte> original, ReadOnlyMemory<byte> quantized, SampleFeed feed,
        int repeats = DefaultRepeats, EvaluationRuntime? runtime = null, int warmup = DefaultWarmup, CancellationToken cancellationToken = default) =>
        Measure(original, quantized,
            feed.Samples().FirstOrDefault() ?? throw new ArgumentException("The feed has no samples.", nameof(feed)),
            repeats, runtime, warmup, cancellationToken);

    private static double Time(InferenceSession session, IReadOnlyDictionary<string, Tensor> input, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        session.Run(input, null, ct);
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
