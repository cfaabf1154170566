namespace Qaas.Bench.Measurement;

/// <summary>Order statistics over timing samples.</summary>
public static class Stats
{
    public static double Median(IEnumerable<double> xs) => Percentile(xs, 50);

    /// <summary>Nearest-rank percentile (p in 0..100).</summary>
    public static double Percentile(IEnumerable<double> xs, double p)
    {
        var sorted = xs.OrderBy(x => x).ToArray();
        if (sorted.Length == 0) throw new InvalidOperationException("no samples");
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
