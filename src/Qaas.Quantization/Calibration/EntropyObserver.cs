namespace Qaas.Quantization.Calibration;

/// <summary>
/// Entropy calibration (Migacz 2017, "8-bit Inference with TensorRT"): histogram |x|, then pick the
/// threshold whose clipped-and-requantized distribution Q has the smallest KL(P || Q) to the reference P.
/// </summary>
public sealed class EntropyObserver : IRangeObserver
{
    public EntropyObserver(int binCount = 2048, int quantizedLevels = 128)
    {
        if (quantizedLevels < 2 || quantizedLevels > binCount)
            throw new ArgumentOutOfRangeException(nameof(quantizedLevels));
        QuantizedLevels = quantizedLevels;
        Histogram = new Histogram(binCount, absolute: true);
    }

    /// <summary>Levels on one side of zero (128 for int8).</summary>
    public int QuantizedLevels { get; }
    public Histogram Histogram { get; }

    public void Observe(ReadOnlySpan<float> batch) => Histogram.Add(batch);

    public (float Min, float Max) ComputeRange()
    {
        if (Histogram.IsEmpty)
            return (0f, 0f);
        int best = BestBinCount(Histogram.Counts, QuantizedLevels);
        return ObservedRange.SymmetricAround(Histogram, Histogram.BinLower(0) + best * Histogram.BinWidth);
    }

    /// <summary>The number of leading bins i (threshold = upper edge of bin i-1) minimizing KL divergence.</summary>
    public static int BestBinCount(ReadOnlySpan<double> histogram, int levels)
    {
        int bins = histogram.Length;
        var p = new double[bins];
        var q = new double[bins];
        double tail = 0;
        for (int j = levels; j < bins; j++)
            tail += histogram[j];
        int best = bins;
        double bestDivergence = double.PositiveInfinity;
        for (int i = levels; i <= bins; i++)
        {
            // P: the first i bins, with everything beyond the threshold folded into the last kept bin.
            histogram[..i].CopyTo(p);
            p[i - 1] += tail;
            if (i < bins)
                tail -= histogram[i];
            // Q: the first i bins merged into `levels` groups, each spread evenly over its non-empty bins.
            Array.Clear(q, 0, i);
            double perLevel = (double)i / levels;
            for (int level = 0; level < levels; level++)
            {
                int start = (int)(level * perLevel);
                int end = level == levels - 1 ? i : (int)((level + 1) * perLevel);
                double sum = 0;
                int nonEmpty = 0;
                for (int j = start; j < end; j++)
                {
                    sum += histogram[j];
                    if (histogram[j] != 0) nonEmpty++;
                }
                if (nonEmpty == 0)
                    continue;
                double share = sum / nonEmpty;
                for (int j = start; j < end; j++)
                    if (histogram[j] != 0) q[j] = share;
            }
            double divergence = KlDivergence(p.AsSpan(0, i), q.AsSpan(0, i));
            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                best = i;
            }
        }
        return best;
    }

    private static double KlDivergence(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double sumP = 0, sumQ = 0;
        foreach (double v in p) sumP += v;
        foreach (double v in q) sumQ += v;
        if (sumP == 0 || sumQ == 0)
            return double.PositiveInfinity;
        double divergence = 0;
        for (int j = 0; j < p.Length; j++)
        {
            if (p[j] == 0)
                continue;
            double pj = p[j] / sumP;
            // A bin P has but Q lost (the folded outliers landing in an empty bin) is smoothed, not infinite.
            double qj = q[j] == 0 ? 1e-10 : q[j] / sumQ;
            divergence += pj * Math.Log(pj / qj);
        }
        return divergence;
    }
}
