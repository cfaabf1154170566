using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Qaas.Quantization.Formats;

/// <summary>bfloat16 (the upper 16 bits of a float32) with round-to-nearest-even; NaN stays a quiet NaN.</summary>
public static class BFloat16Conversion
{
    public static ushort ToBits(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x))
            return (ushort)((bits >> 16) | 0x0040);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float ToFloat(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static void ToBits(ReadOnlySpan<float> x, Span<ushort> bf16)
    {
        if (bf16.Length < x.Length)
            throw new ArgumentException("Destination too small.", nameof(bf16));
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 16)
        {
            ref uint src = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<float, uint>(x));
            ref ushort dst = ref MemoryMarshal.GetReference(bf16);
            for (; i <= x.Length - 16; i += 16)
            {
                var a = Round(Vector256.LoadUnsafe(ref src, (nuint)i));
                var b = Round(Vector256.LoadUnsafe(ref src, (nuint)(i + 8)));
                Vector256.Narrow(a, b).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
            bf16[i] = ToBits(x[i]);
    }

    public static void ToFloat(ReadOnlySpan<ushort> bf16, Span<float> x)
    {
        if (x.Length < bf16.Length)
            throw new ArgumentException("Destination too small.", nameof(x));
        for (int i = 0; i < bf16.Length; i++)
            x[i] = ToFloat(bf16[i]);
    }

    private static Vector256<uint> Round(Vector256<uint> bits)
    {
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        var abs = bits & Vector256.Create(0x7FFFFFFFu);
        var isNaN = Vector256.GreaterThan(abs, Vector256.Create(0x7F800000u));
        var quiet = (bits >> 16) | Vector256.Create(0x0040u);
        return Vector256.ConditionalSelect(isNaN, quiet, rounded);
    }
}
