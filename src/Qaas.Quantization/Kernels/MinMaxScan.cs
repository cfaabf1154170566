using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Qaas.Quantization.Kernels;

/// <summary>
/// Smallest and largest value of a span in one vectorized pass. Calibration reads every captured activation once,
/// mostly from memory rather than cache, so one pass instead of TensorPrimitives.Min then Max halves that traffic.
/// </summary>
public static class MinMaxScan
{
    /// <returns>(min, max), or null when the span holds a NaN (callers then skip NaNs on a slow path).</returns>
    // Fully optimized from the first call: a calibration makes few calls per process, each over a large tensor, and
    // spends them in unoptimized (Tier-0) code otherwise.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (float Min, float Max)? Of(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
            return (float.PositiveInfinity, float.NegativeInfinity);
        int i = 0;
        float min = x[0], max = x[0];
        bool nan = float.IsNaN(min);
        ref float start = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated && x.Length >= 2 * Vector512<float>.Count)
        {
            (min, max, nan, i) = Scan512(ref start, x.Length);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= 2 * Vector256<float>.Count)
        {
            (min, max, nan, i) = Scan256(ref start, x.Length);
        }
        for (; i < x.Length; i++)
        {
            float v = x[i];
            nan |= float.IsNaN(v);
            min = MathF.Min(min, v);
            max = MathF.Max(max, v);
        }
        return nan ? null : (min, max);
    }

    // Two accumulator pairs so consecutive loads do not wait on one min/max chain; NaN is tracked apart because the
    // native min/max instructions drop it depending on operand order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, bool, int) Scan512(ref float x, int length)
    {
        var lo0 = Vector512.LoadUnsafe(ref x);
        var hi0 = lo0;
        var lo1 = lo0;
        var hi1 = lo0;
        var nan = ~Vector512.Equals(lo0, lo0);
        int i = 0, step = Vector512<float>.Count;
        for (; i <= length - 2 * step; i += 2 * step)
        {
            var a = Vector512.LoadUnsafe(ref x, (nuint)i);
            var b = Vector512.LoadUnsafe(ref x, (nuint)(i + step));
            lo0 = Vector512.MinNative(lo0, a);
            hi0 = Vector512.MaxNative(hi0, a);
            lo1 = Vector512.MinNative(lo1, b);
            hi1 = Vector512.MaxNative(hi1, b);
            nan |= ~Vector512.Equals(a, a) | ~Vector512.Equals(b, b);
        }
        var lo = Vector512.MinNative(lo0, lo1);
        var hi = Vector512.MaxNative(hi0, hi1);
        return (Reduce(lo.GetLower(), lo.GetUpper(), min: true), Reduce(hi.GetLower(), hi.GetUpper(), min: false),
            nan != Vector512<float>.Zero, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, bool, int) Scan256(ref float x, int length)
    {
        var lo0 = Vector256.LoadUnsafe(ref x);
        var hi0 = lo0;
        var lo1 = lo0;
        var hi1 = lo0;
        var nan = ~Vector256.Equals(lo0, lo0);
        int i = 0, step = Vector256<float>.Count;
        for (; i <= length - 2 * step; i += 2 * step)
        {
            var a = Vector256.LoadUnsafe(ref x, (nuint)i);
            var b = Vector256.LoadUnsafe(ref x, (nuint)(i + step));
            lo0 = Vector256.MinNative(lo0, a);
            hi0 = Vector256.MaxNative(hi0, a);
            lo1 = Vector256.MinNative(lo1, b);
            hi1 = Vector256.MaxNative(hi1, b);
            nan |= ~Vector256.Equals(a, a) | ~Vector256.Equals(b, b);
        }
        return (Reduce(lo0, lo1, min: true), Reduce(hi0, hi1, min: false), nan != Vector256<float>.Zero, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector256<float> a, Vector256<float> b, bool min)
    {
        var v = min ? Vector256.MinNative(a, b) : Vector256.MaxNative(a, b);
        float r = v[0];
        for (int k = 1; k < Vector256<float>.Count; k++)
            r = min ? MathF.Min(r, v[k]) : MathF.Max(r, v[k]);
        return r;
    }
}
