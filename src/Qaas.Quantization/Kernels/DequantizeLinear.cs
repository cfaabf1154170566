using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Qaas.Quantization.Kernels;

/// <summary>ONNX DequantizeLinear: x = (q - zero_point) * scale.</summary>
public static class DequantizeLinear
{
    public static void FromInt8(ReadOnlySpan<sbyte> q, float scale, int zeroPoint, Span<float> x)
    {
        CheckLengths(q.Length, x.Length);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && q.Length >= 32)
        {
            var vs = Vector256.Create(scale);
            var vz = Vector256.Create((float)zeroPoint);
            ref sbyte src = ref MemoryMarshal.GetReference(q);
            ref float dst = ref MemoryMarshal.GetReference(x);
            for (; i <= q.Length - 32; i += 32)
            {
                var (s0, s1) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));
                Store(Vector256.Widen(s0), vs, vz, ref dst, i);
                Store(Vector256.Widen(s1), vs, vz, ref dst, i + 16);
            }
        }
        for (; i < q.Length; i++)
            x[i] = (q[i] - zeroPoint) * scale;
    }

    public static void FromUInt8(ReadOnlySpan<byte> q, float scale, int zeroPoint, Span<float> x)
    {
        CheckLengths(q.Length, x.Length);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && q.Length >= 32)
        {
            var vs = Vector256.Create(scale);
            var vz = Vector256.Create((float)zeroPoint);
            ref byte src = ref MemoryMarshal.GetReference(q);
            ref float dst = ref MemoryMarshal.GetReference(x);
            for (; i <= q.Length - 32; i += 32)
            {
                var (s0, s1) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));
                var (a, b) = Vector256.Widen(s0);
                var (c, d) = Vector256.Widen(s1);
                Store((a.AsInt32(), b.AsInt32()), vs, vz, ref dst, i);
                Store((c.AsInt32(), d.AsInt32()), vs, vz, ref dst, i + 16);
            }
        }
        for (; i < q.Length; i++)
            x[i] = (q[i] - zeroPoint) * scale;
    }

    /// <summary>Bytes holding values of a signed (two's-complement) or unsigned type of at most 8 bits.</summary>
    public static void FromBytes(ReadOnlySpan<byte> q, bool signed, float scale, int zeroPoint, Span<float> x)
    {
        if (signed)
            FromInt8(MemoryMarshal.Cast<byte, sbyte>(q), scale, zeroPoint, x);
        else
            FromUInt8(q, scale, zeroPoint, x);
    }

    public static void FromInt16(ReadOnlySpan<short> q, float scale, int zeroPoint, Span<float> x)
    {
        CheckLengths(q.Length, x.Length);
        for (int i = 0; i < q.Length; i++)
            x[i] = (q[i] - zeroPoint) * scale;
    }

    private static void Store((Vector256<int> Lo, Vector256<int> Hi) v, Vector256<float> scale, Vector256<float> zp, ref float dst, int i)
    {
        ((Vector256.ConvertToSingle(v.Lo) - zp) * scale).StoreUnsafe(ref dst, (nuint)i);
        ((Vector256.ConvertToSingle(v.Hi) - zp) * scale).StoreUnsafe(ref dst, (nuint)(i + 8));
    }

    private static void CheckLengths(int expected, int actual)
    {
        if (expected != actual)
            throw new ArgumentException($"Length mismatch: {expected} vs {actual}.");
    }
}
