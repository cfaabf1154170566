namespace Qaas.Quantization.Kernels;

/// <summary>
/// Packs sub-byte integers into a little-endian bit stream: element i occupies bits [i*bits, (i+1)*bits),
/// so for 4 bits the first element is the low nibble, as in ONNX INT4/UINT4 and com.microsoft MatMulNBits.
/// </summary>
public static class BitPacking
{
    public static int PackedLength(int count, int bits) => (int)(((long)count * bits + 7) / 8);

    /// <summary>Packs the low <paramref name="bits"/> of each value; unused trailing bits are zero.</summary>
    public static void Pack(ReadOnlySpan<byte> values, int bits, Span<byte> packed)
    {
        CheckBits(bits);
        int length = PackedLength(values.Length, bits);
        if (packed.Length < length)
            throw new ArgumentException("Destination too small.", nameof(packed));
        if (bits == 8)
        {
            values.CopyTo(packed);
            return;
        }
        packed[..length].Clear();
        if (bits == 4)
        {
            int pairs = values.Length / 2;
            for (int i = 0; i < pairs; i++)
                packed[i] = (byte)((values[2 * i] & 0xF) | (values[2 * i + 1] << 4));
            if ((values.Length & 1) != 0)
                packed[pairs] = (byte)(values[^1] & 0xF);
            return;
        }
        int mask = (1 << bits) - 1;
        for (int i = 0; i < values.Length; i++)
        {
            long bit = (long)i * bits;
            int index = (int)(bit >> 3), shift = (int)(bit & 7);
            int v = (values[i] & mask) << shift;
            packed[index] |= (byte)v;
            if (shift + bits > 8)
                packed[index + 1] |= (byte)(v >> 8);
        }
    }

    /// <summary>Unpacks to unsigned values in [0, 2^bits).</summary>
    public static void Unpack(ReadOnlySpan<byte> packed, int bits, Span<byte> values)
    {
        CheckBits(bits);
        if (packed.Length < PackedLength(values.Length, bits))
            throw new ArgumentException("Source too small.", nameof(packed));
        if (bits == 8)
        {
            packed[..values.Length].CopyTo(values);
            return;
        }
        int mask = (1 << bits) - 1;
        for (int i = 0; i < values.Length; i++)
        {
            long bit = (long)i * bits;
            int index = (int)(bit >> 3), shift = (int)(bit & 7);
            int word = packed[index] | (shift + bits > 8 ? packed[index + 1] << 8 : 0);
            values[i] = (byte)((word >> shift) & mask);
        }
    }

    /// <summary>Unpacks and sign-extends two's-complement values to sbyte.</summary>
    public static void UnpackSigned(ReadOnlySpan<byte> packed, int bits, Span<sbyte> values)
    {
        var raw = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values);
        Unpack(packed, bits, raw);
        int shift = 8 - bits;
        for (int i = 0; i < values.Length; i++)
            values[i] = (sbyte)((sbyte)(raw[i] << shift) >> shift);
    }

    private static void CheckBits(int bits)
    {
        if (bits is < 1 or > 8)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Bits must be 1..8.");
    }
}
