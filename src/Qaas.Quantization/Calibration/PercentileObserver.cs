namespace Qaas.Quantization.Calibration;

/// <summary>
/// Clips the range at a percentile of the observed distribution, estimated from a fixed histogram.
/// Symmetric: the percentile of |x|, giving (-t, t) (or (0, t) when nothing negative was seen).
/// Asymmetric: the lower and upper tails each lose (100 - percentile) / 2 percent.
/// </summary>
public sealed class PercentileObserver : IHistogramObserver
{
    public PercentileObserver(double percentile = 99.999, bool symmetric = true, int binCount = 2048)
    {
        if (percentile is <= 0 or > 100)
            throw new ArgumentOutOfRangeException(nameof(percentile));
        Percentile = percentile;
        Symmetric = symmetric;
        Histogram = new Histogram(binCount, absolute: symmetric);
    }

    public double Percentile { get; }
    public bool Symmetric { get; }
    public Histogram Histogram { get; }

    public void Observe(ReadOnlySpan<float> batch) => Histogram.Add(batch);

    public (float Min, float Max) ComputeRange()
    {
        if (Histogram.IsEmpty)
            return (0f, 0f);
        double p = Percentile / 100;
        if (Symmetric)
            return ObservedRange.SymmetricAround(Histogram, Histogram.Quantile(p));
        float lo = Histogram.Quantile((1 - p) / 2), hi = Histogram.Quantile(1 - (1 - p) / 2);
        return (MathF.Max(lo, Histogram.ObservedMin), MathF.Min(hi, Histogram.ObservedMax));
    }
}
