using Qaas.Quantization.Reports;

namespace Qaas.Quantization.Evaluation;

/// <summary>
/// Says when a latency measurement was disturbed: runs alternate between the two models, so a p90 far above the p50
/// of either means something else took the CPU for part of the measurement, and the speedup deserves less trust.
/// </summary>
public static class LatencySpread
{
    /// <summary>p90 / p50 above which a model's timings count as disturbed.</summary>
    public const double NoisyRatio = 2;

    public static string? Warning(LatencyReport latency)
    {
        var worst = new[] { ("original", latency.Original), ("quantized", latency.Quantized) }
            .Select(m => (m.Item1, Ratio: m.Item2.P50Ms > 0 ? m.Item2.P90Ms / m.Item2.P50Ms : 1))
            .MaxBy(m => m.Ratio);
        return worst.Ratio > NoisyRatio
            ? $"The latency measurement was disturbed: the {worst.Item1} model's p90 is {worst.Ratio:F1}x its p50 over {latency.Repeats} " +
              "alternating runs, so other work shared the CPU; the speedup may be off. Re-run the job on an idle worker to confirm it."
            : null;
    }
}
