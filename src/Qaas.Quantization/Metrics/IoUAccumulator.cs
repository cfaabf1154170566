using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Qaas.Quantization.Metrics;

/// <summary>
/// Intersection over union of two maps thresholded at the same value (e.g. text-detection probability maps),
/// folded over batches.
/// </summary>
public sealed class IoUAccumulator(float threshold)
{
    public float Threshold { get; } = threshold;
    public long Intersection { get; private set; }
    public long Union { get; private set; }

    /// <summary>1 when neither map ever exceeds the threshold.</summary>
    public double IoU => Union == 0 ? 1 : (double)Intersection / Union;

    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        if (reference.Length != candidate.Length)
            throw new ArgumentException("Reference and candidate lengths differ.");
        long intersection = 0, union = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var t = Vector256.Create(Threshold);
            ref float r = ref MemoryMarshal.GetReference(reference);
            ref float c = ref MemoryMarshal.GetReference(candidate);
            for (; i <= reference.Length - 8; i += 8)
            {
                var a = Vector256.GreaterThan(Vector256.LoadUnsafe(ref r, (nuint)i), t);
                var b = Vector256.GreaterThan(Vector256.LoadUnsafe(ref c, (nuint)i), t);
                intersection += BitOperations.PopCount((a & b).ExtractMostSignificantBits());
                union += BitOperations.PopCount((a | b).ExtractMostSignificantBits());
            }
        }
        for (; i < reference.Length; i++)
        {
            bool a = reference[i] > Threshold, b = candidate[i] > Threshold;
            if (a && b) intersection++;
            if (a || b) union++;
        }
        Intersection += intersection;
        Union += union;
    }
}
