namespace Qaas.Quantization.Calibration;

/// <summary>
/// Entropy calibration (Migacz 2017, "8-bit Inference with TensorRT"): histogram |x|, then pick the
/// threshold whose clipped-and-requantized distribution Q has the smallest KL(P || Q) to the reference P.
/// </summary>
public sealed class EntropyObserver : IHistogramObserver
{
    /// <summary>
    /// Smallest share of the observed values a threshold must keep to be a candidate. KL(P || Q) rewards narrow
    /// levels, so on spiky activations (flat image backgrounds) its minimum can clip 5-25 % of all values, which is
    /// no longer outlier removal; TensorRT's fixed first candidate (128 bins) is replaced by this mass floor.
    /// </summary>
    public const double MinKeptMass = 0.999;

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
        var counts = Histogram.Counts;
        int best = BestBinCount(counts, _ => QuantizedLevels, FirstCandidate(counts, QuantizedLevels, MinKeptMass));
        return ObservedRange.SymmetricAround(Histogram, Histogram.BinLower(0) + best * Histogram.BinWidth);
    }

    /// <summary>The number of leading bins i (threshold = upper edge of bin i-1) minimizing KL divergence.</summary>
    public static int BestBinCount(ReadOnlySpan<double> histogram, int levels) =>
        BestBinCount(histogram, _ => levels, levels);

    /// <summary>The smallest bin count that keeps <paramref name="keptMass"/> of the histogram, and at least <paramref name="levels"/>.</summary>
    public static int FirstCandidate(ReadOnlySpan<double> histogram, int levels, double keptMass)
    {
        double total = 0;
        foreach (double c in histogram)
            total += c;
        double kept = 0;
        int i = 0;
        while (i < histogram.Length && kept < keptMass * total)
            kept += histogram[i++];
        return Math.Clamp(i, Math.Min(levels, histogram.Length), histogram.Length);
    }

    /// <summary>
    /// KL search over candidate bin counts i in [<paramref name="first"/>, bins]. For each i, P is the first i bins with
    /// everything beyond folded into bin i-1; Q merges them into <paramref name="levelsFor"/>(i) levels and spreads each
    /// level evenly over its bins that are non-empty in P; a bin P has and Q lost is smoothed to 1e-10, not infinite.
    /// Prefix sums of h, non-empty counts and h·ln h give each candidate's KL in O(levels) instead of O(i).
    /// </summary>
    public static int BestBinCount(ReadOnlySpan<double> histogram, Func<int, int> levelsFor, int first)
    {
        int bins = histogram.Length;
        var sum = new double[bins + 1];
        var nonEmpty = new int[bins + 1];
        var hLogH = new double[bins + 1];
        for (int j = 0; j < bins; j++)
        {
            double h = histogram[j];
            sum[j + 1] = sum[j] + h;
            nonEmpty[j + 1] = nonEmpty[j] + (h > 0 ? 1 : 0);
            hLogH[j + 1] = hLogH[j] + (h > 0 ? h * Math.Log(h) : 0);
        }
        double total = sum[bins];
        if (total <= 0)
            return bins;
        double logTotal = Math.Log(total);
        int best = bins;
        double bestDivergence = double.PositiveInfinity;
        for (int i = Math.Clamp(first, 1, bins); i <= bins; i++)
        {
            int levels = Math.Clamp(levelsFor(i), 1, i);
            double kept = sum[i];
            if (kept <= 0)
                continue;
            double divergence = Divergence(histogram, sum, nonEmpty, hLogH, i, levels, total, logTotal, Math.Log(kept));
            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                best = i;
            }
        }
        return best;
    }

    private static double Divergence(ReadOnlySpan<double> h, double[] sum, int[] nonEmpty, double[] hLogH, int i, int levels,
        double total, double logTotal, double logKept)
    {
        // Sum over p_j ln(p_j / q_j) with p_j = h_j / total and q_j = share / kept: per level,
        // (hLogH - s ln total - s ln share + s ln kept) / total, where s is the level's mass.
        double divergence = 0;
        double perLevel = (double)i / levels;
        for (int level = 0; level < levels - 1; level++)
        {
            int start = (int)(level * perLevel), end = (int)((level + 1) * perLevel);
            int n = nonEmpty[end] - nonEmpty[start];
            if (n == 0)
                continue;
            double s = sum[end] - sum[start];
            divergence += (hLogH[end] - hLogH[start]) - s * (logTotal + Math.Log(s / n) - logKept);
        }
        // The last level holds bin i-1, which also carries the clipped tail in P (and counts as non-empty if that does).
        int lastStart = (int)((levels - 1) * perLevel);
        double tail = total - sum[i];
        double levelMass = sum[i] - sum[lastStart];
        double edge = h[i - 1], edgeP = edge + tail;
        int count = nonEmpty[i] - nonEmpty[lastStart] + (edge == 0 && edgeP > 0 ? 1 : 0);
        double share = count == 0 ? 0 : levelMass / count;
        // Bins before the edge in the last level.
        double innerMass = sum[i - 1] - sum[lastStart];
        if (innerMass > 0)
            divergence += (hLogH[i - 1] - hLogH[lastStart]) - innerMass * (logTotal + Math.Log(share) - logKept);
        divergence /= total;
        if (edgeP > 0)
        {
            double p = edgeP / total;
            double q = share > 0 ? share / sum[i] : 1e-10;
            divergence += p * Math.Log(p / q);
        }
        return divergence;
    }
}
