using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// Picks the clipping range minimizing the expected quantization MSE over the histogram: candidates shrink
/// the observed range by a factor alpha; inside the range the error of a bin is the uniform rounding error
/// scale^2 / 12, outside it is the squared distance to the nearest clip bound.
/// </summary>
public sealed class MseObserver : IHistogramObserver
{
    public MseObserver(QuantType type = QuantType.Int8, bool symmetric = true, int binCount = 2048, int candidates = 200)
    {
        if (!type.IsInteger())
            throw new ArgumentException("MSE calibration needs an integer target type.", nameof(type));
        Type = type;
        Symmetric = symmetric;
        Candidates = candidates;
        Histogram = new Histogram(binCount, absolute: false);
    }

    public QuantType Type { get; }
    public bool Symmetric { get; }
    public int Candidates { get; }
    public Histogram Histogram { get; }

    public void Observe(ReadOnlySpan<float> batch) => Histogram.Add(batch);

    public (float Min, float Max) ComputeRange()
    {
        if (Histogram.IsEmpty)
            return (0f, 0f);
        float min = MathF.Min(Histogram.ObservedMin, 0f), max = MathF.Max(Histogram.ObservedMax, 0f);
        if (Symmetric && min < 0)
        {
            float absMax = MathF.Max(-min, max);
            (min, max) = (-absMax, absMax);
        }
        var moments = new BinMoments(Histogram);
        (float, float) best = (min, max);
        double bestError = double.PositiveInfinity;
        for (int c = 1; c <= Candidates; c++)
        {
            float alpha = (float)c / Candidates;
            float lo = min * alpha, hi = max * alpha;
            double error = ExpectedError(moments, lo, hi);
            if (error < bestError)
            {
                bestError = error;
                best = (lo, hi);
            }
        }
        return best;
    }

    /// <summary>Expected squared error (per histogram unit mass) of quantizing with range [lo, hi].</summary>
    public double ExpectedError(float lo, float hi) => ExpectedError(new BinMoments(Histogram), lo, hi);

    // Bins whose centre lies outside the grid's clip bounds cost their squared distance to the bound, the rest the
    // uniform rounding error.
    private double ExpectedError(BinMoments moments, float lo, float hi)
    {
        var p = QuantParamsCalculator.FromRange(lo, hi, Type, Symmetric);
        double clipLo = (double)(Type.QMin() - p.ZeroPoint) * p.Scale;
        double clipHi = (double)(Type.QMax() - p.ZeroPoint) * p.Scale;
        double rounding = (double)p.Scale * p.Scale / 12;
        // clipLo <= 0 <= clipHi, so the bins below clipLo come before those up to clipHi.
        int below = moments.CountBelow(clipLo), upToHi = moments.CountBelow(clipHi, inclusive: true);
        double error = moments.SquaredDistance(0, below, clipLo)
            + rounding * moments.Mass(below, upToHi)
            + moments.SquaredDistance(upToHi, Histogram.BinCount, clipHi);
        return error / Histogram.TotalCount;
    }
}
