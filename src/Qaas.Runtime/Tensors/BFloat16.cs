namespace Qaas.Runtime.Tensors;

/// <summary>bfloat16: the upper 16 bits of an IEEE float32. Stored as its bit pattern; converts with round-to-nearest-even.</summary>
public readonly record struct BFloat16(ushort Bits)
{
    public static explicit operator float(BFloat16 value) => BitConverter.Int32BitsToSingle(value.Bits << 16);

    public static explicit operator BFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return new BFloat16((ushort)((bits >> 16) | 0x0040)); // keep it a (quiet) NaN after truncation
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return new BFloat16((ushort)((bits + roundingBias) >> 16));
    }

    public override string ToString() => ((float)this).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
