using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Kernels;

/// <summary>
/// ONNX QuantizeLinear: q = saturate(round_half_even(x / scale) + zero_point).
/// Outputs for types up to 8 bits are one element per byte (int4/uint4/int3/int2 included; pack them with
/// <see cref="BitPacking"/>). Signed results are stored as two's-complement bytes.
/// </summary>
public static class QuantizeLinear
{
    public static void ToInt8(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<sbyte> q) =>
        ToBytes(x, scale, zeroPoint, sbyte.MinValue, sbyte.MaxValue, MemoryMarshal.AsBytes(q));

    public static void ToUInt8(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<byte> q) =>
        ToBytes(x, scale, zeroPoint, byte.MinValue, byte.MaxValue, q);

    /// <summary>Quantizes to any integer type of at most 8 bits, one element per byte.</summary>
    public static void ToBytes(ReadOnlySpan<float> x, QuantParams p, QuantType type, Span<byte> q)
    {
        if (type.BitWidth() > 8)
            throw new ArgumentException($"{type} does not fit a byte.", nameof(type));
        ToBytes(x, p.Scale, p.ZeroPoint, type.QMin(), type.QMax(), q);
    }

    /// <summary>Uniform scale and zero point; q holds the low byte of each clamped integer.</summary>
    public static void ToBytes(ReadOnlySpan<float> x, float scale, int zeroPoint, int qmin, int qmax, Span<byte> q)
    {
        CheckLengths(x.Length, q.Length);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 32)
        {
            var vs = Vector256.Create(scale);
            var vz = Vector256.Create((float)zeroPoint);
            var lo = Vector256.Create((float)qmin);
            var hi = Vector256.Create((float)qmax);
            ref float src = ref MemoryMarshal.GetReference(x);
            ref byte dst = ref MemoryMarshal.GetReference(q);
            for (; i <= x.Length - 32; i += 32)
            {
                var a = Step(Vector256.LoadUnsafe(ref src, (nuint)i), vs, vz, lo, hi);
                var b = Step(Vector256.LoadUnsafe(ref src, (nuint)(i + 8)), vs, vz, lo, hi);
                var c = Step(Vector256.LoadUnsafe(ref src, (nuint)(i + 16)), vs, vz, lo, hi);
                var d = Step(Vector256.LoadUnsafe(ref src, (nuint)(i + 24)), vs, vz, lo, hi);
                // Values are already clamped, so the truncating narrows are exact.
                var bytes = Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d));
                bytes.AsByte().StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
            q[i] = (byte)Scalar(x[i], scale, zeroPoint, qmin, qmax);
    }

    /// <summary>
    /// One scale and zero point per element (e.g. a weight row quantized with per-column parameters).
    /// </summary>
    public static void ToBytes(ReadOnlySpan<float> x, ReadOnlySpan<float> scales, ReadOnlySpan<float> zeroPoints,
        int qmin, int qmax, Span<byte> q)
    {
        CheckLengths(x.Length, q.Length);
        CheckLengths(x.Length, scales.Length);
        CheckLengths(x.Length, zeroPoints.Length);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 32)
        {
            var lo = Vector256.Create((float)qmin);
            var hi = Vector256.Create((float)qmax);
            ref float src = ref MemoryMarshal.GetReference(x);
            ref float s = ref MemoryMarshal.GetReference(scales);
            ref float z = ref MemoryMarshal.GetReference(zeroPoints);
            ref byte dst = ref MemoryMarshal.GetReference(q);
            for (; i <= x.Length - 32; i += 32)
            {
                var a = StepAt(ref src, ref s, ref z, i, lo, hi);
                var b = StepAt(ref src, ref s, ref z, i + 8, lo, hi);
                var c = StepAt(ref src, ref s, ref z, i + 16, lo, hi);
                var d = StepAt(ref src, ref s, ref z, i + 24, lo, hi);
                Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d)).AsByte().StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
            q[i] = (byte)Scalar(x[i], scales[i], (int)zeroPoints[i], qmin, qmax);
    }

    public static void ToInt16(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<short> q)
    {
        CheckLengths(x.Length, q.Length);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            var vs = Vector256.Create(scale);
            var vz = Vector256.Create((float)zeroPoint);
            var lo = Vector256.Create((float)short.MinValue);
            var hi = Vector256.Create((float)short.MaxValue);
            ref float src = ref MemoryMarshal.GetReference(x);
            ref short dst = ref MemoryMarshal.GetReference(q);
            for (; i <= x.Length - 16; i += 16)
            {
                var a = Step(Vector256.LoadUnsafe(ref src, (nuint)i), vs, vz, lo, hi);
                var b = Step(Vector256.LoadUnsafe(ref src, (nuint)(i + 8)), vs, vz, lo, hi);
                Vector256.Narrow(a, b).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
            q[i] = (short)Scalar(x[i], scale, zeroPoint, short.MinValue, short.MaxValue);
    }

    /// <summary>QuantizeLinear to fp8/fp4: code = saturating_cast(x / scale); codes one per byte.</summary>
    public static void ToMiniFloat(ReadOnlySpan<float> x, float scale, MiniFloatFormat format, Span<byte> codes)
    {
        CheckLengths(x.Length, codes.Length);
        for (int i = 0; i < x.Length; i++)
            codes[i] = format.Encode(x[i] / scale);
    }

    /// <summary>The reference definition every vector path must agree with.</summary>
    public static int Scalar(float x, float scale, int zeroPoint, int qmin, int qmax)
    {
        float r = MathF.Round(x / scale, MidpointRounding.ToEven) + zeroPoint;
        if (float.IsNaN(r))
            return Math.Clamp(zeroPoint, qmin, qmax);
        return (int)Math.Clamp(r, qmin, qmax);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Step(Vector256<float> x, Vector256<float> scale, Vector256<float> zp,
        Vector256<float> lo, Vector256<float> hi)
    {
        var r = Vector256.Round(x / scale) + zp;
        // NaN inputs map to the zero point, like the scalar path.
        r = Vector256.ConditionalSelect(Vector256.Equals(r, r), r, zp);
        return Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(r, lo), hi));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> StepAt(ref float x, ref float s, ref float z, int i, Vector256<float> lo, Vector256<float> hi) =>
        Step(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref s, (nuint)i), Vector256.LoadUnsafe(ref z, (nuint)i), lo, hi);

    private static void CheckLengths(int expected, int actual)
    {
        if (expected != actual)
            throw new ArgumentException($"Length mismatch: {expected} vs {actual}.");
    }
}
