using Qaas.Quantization.Reports;

namespace Qaas.Quantization.Evaluation;

/// <summary>p50/p90/p99 of timings, linearly interpolated between the sorted values (numpy's default).</summary>
public static class Percentiles
{
    public static LatencyStats Of(IReadOnlyList<double> milliseconds)
    {
        if (milliseconds.Count == 0) throw new ArgumentException("No timings.", nameof(milliseconds));
        var sorted = milliseconds.Order().ToArray();
        return new LatencyStats(At(sorted, 0.50), At(sorted, 0.90), At(sorted, 0.99));
    }

    public static double At(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
