namespace Qaas.Onnx.Graph;

/// <summary>Conversions between float32 and the 16-bit float formats stored as raw bits (IEEE half, bfloat16).</summary>
public static class FloatBits
{
    public static float HalfToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    public static ushort FloatToHalf(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>bfloat16 is the upper half of a float32.</summary>
    public static float BFloat16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Rounds to nearest even; NaN stays NaN.</summary>
    public static ushort FloatToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static void HalfToFloat(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (var i = 0; i < source.Length; i++) destination[i] = HalfToFloat(source[i]);
    }

    public static void BFloat16ToFloat(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (var i = 0; i < source.Length; i++) destination[i] = BFloat16ToFloat(source[i]);
    }

    public static void FloatToHalf(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        for (var i = 0; i < source.Length; i++) destination[i] = FloatToHalf(source[i]);
    }

    public static void FloatToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        for (var i = 0; i < source.Length; i++) destination[i] = FloatToBFloat16(source[i]);
    }
}
