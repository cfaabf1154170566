using Qaas.Quantization.Formats;
using Qaas.Quantization.Recipes;

namespace Qaas.Quantization.Calibration;

/// <summary>How <see cref="CalibrationRunner"/> turns a recipe's method into per-tensor observers.</summary>
public static partial class CalibrationRunner
{
    /// <summary>
    /// Below this many observed values a histogram method (entropy, percentile, MSE) has too little mass to place a
    /// clipping threshold (a pooled [1, C, 1, 1] tensor, class logits), so the exact min/max is used instead.
    /// </summary>
    public const long MinValuesForHistogram = 4096;

    private static Dictionary<string, IRangeObserver> CreateObservers(IEnumerable<string> tensors, ActivationSpec spec)
    {
        var type = ObserverType(spec.Type);
        bool symmetric = spec.Symmetric ?? false;
        string method = spec.Calibration ?? "minmax";
        var observers = new Dictionary<string, IRangeObserver>(StringComparer.Ordinal);
        foreach (var name in tensors)
        {
            var observer = RangeObservers.Create(method, type, symmetric, spec.Percentile ?? 99.999);
            observers.TryAdd(name, observer is IHistogramObserver histogram ? new SmallTensorFallback(histogram, !type.IsSigned()) : observer);
        }
        return observers;
    }

    /// <summary>A histogram observer that answers with the exact min/max (which its histogram keeps) for small tensors.</summary>
    private sealed class SmallTensorFallback(IHistogramObserver observer, bool unsigned) : IRangeObserver
    {
        public void Observe(ReadOnlySpan<float> batch) => observer.Observe(batch);

        public bool IsEmpty => observer.Histogram.IsEmpty;

        /// <summary>
        /// The histogram's proposal, kept inside what was actually seen: symmetric proposals such as entropy's (-t, t)
        /// would otherwise spend half of an asymmetric grid on values that never occur.
        /// </summary>
        public (float Min, float Max) ComputeRange()
        {
            var h = observer.Histogram;
            if (h.IsEmpty)
                return (0f, 0f);
            var exact = (Min: h.ObservedMin, Max: h.ObservedMax);
            if (h.TotalCount < MinValuesForHistogram)
                return exact;
            var (min, max) = observer is EntropyObserver entropy ? EntropyRange(entropy, exact, unsigned) : observer.ComputeRange();
            return (MathF.Max(min, exact.Min), MathF.Min(max, exact.Max));
        }
    }

    /// <summary>
    /// The entropy (KL) threshold as NVIDIA's pytorch-quantization computes it: the count of the first bin is replaced
    /// by the second's, so a spike at zero (ReLU outputs, flat image backgrounds) does not pull the threshold towards
    /// zero. On an unsigned (asymmetric) grid the levels a candidate t gets on [0, t] are those the grid really spends
    /// there: all 2^bits for a non-negative tensor, 2^bits * t / (t + |min|) when a small negative part (HardSwish's
    /// -0.375) takes the rest, half for a tensor as negative as positive.
    /// </summary>
    private static (float Min, float Max) EntropyRange(EntropyObserver observer, (float Min, float Max) exact, bool unsigned)
    {
        var h = observer.Histogram;
        var counts = h.Counts.ToArray();
        counts[0] = counts[1];
        int signedLevels = observer.QuantizedLevels;
        float width = h.BinWidth, negative = MathF.Max(0f, -exact.Min);
        Func<int, int> levels = unsigned
            ? i =>
            {
                float t = h.BinLower(0) + i * width;
                return (int)MathF.Round(2 * signedLevels * t / (t + MathF.Min(negative, t)));
            }
            : _ => signedLevels;
        int first = EntropyObserver.FirstCandidate(h.Counts, signedLevels, EntropyObserver.MinKeptMass);
        float threshold = h.BinLower(0) + EntropyObserver.BestBinCount(counts, levels, first) * width;
        return exact.Min >= 0 ? (0f, threshold) : (-threshold, threshold);
    }

    // Float targets (fp8) are observed on an 8-bit integer grid: the observers only need a level count.
    private static QuantType ObserverType(string? name) =>
        name is not null && QuantTypeInfo.TryParse(name, out var t) && t.IsInteger() ? t : QuantType.Int8;
}
