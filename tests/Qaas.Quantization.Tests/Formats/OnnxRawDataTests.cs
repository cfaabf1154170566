using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Tests;

public class OnnxRawDataTests
{
    [Fact]
    public void SixteenBitFloatsAreLittleEndian()
    {
        Assert.Equal(new byte[] { 0x00, 0x3C, 0x00, 0xC0 }, OnnxRawData.FromFloats([1f, -2f], QuantType.Float16));
        Assert.Equal(new byte[] { 0x80, 0x3F, 0x00, 0xC0 }, OnnxRawData.FromFloats([1f, -2f], QuantType.BFloat16));
    }

    [Fact]
    public void Fp4PacksTwoPerByteLowNibbleFirst()
    {
        var raw = OnnxRawData.FromFloats([1f, 6f, -0.5f], QuantType.Float4E2M1);
        Assert.Equal(new byte[] { 0x72, 0x09 }, raw);
        Assert.Equal(new[] { 1f, 6f, -0.5f }, OnnxRawData.ToFloats(raw, QuantType.Float4E2M1, 3));
    }

    [Theory]
    [InlineData(QuantType.Float16)]
    [InlineData(QuantType.BFloat16)]
    [InlineData(QuantType.Float8E4M3FN)]
    [InlineData(QuantType.Float8E5M2)]
    [InlineData(QuantType.Float4E2M1)]
    public void FloatsRoundTripWithinTheFormatsPrecision(QuantType type)
    {
        var x = TestData.Uniform(101, -4, 4, 3);
        var back = OnnxRawData.ToFloats(OnnxRawData.FromFloats(x, type), type, x.Length);
        // Relative step of the mantissa: 2^-10, 2^-7, 2^-3, 2^-2, 2^-1; fp4 also has an absolute step of 0.5 near 0.
        double relative = type switch
        {
            QuantType.Float16 => Math.Pow(2, -11),
            QuantType.BFloat16 => Math.Pow(2, -8),
            QuantType.Float8E4M3FN => Math.Pow(2, -4),
            QuantType.Float8E5M2 => Math.Pow(2, -3),
            _ => 0.25,
        };
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(back[i] - x[i]) <= Math.Abs(x[i]) * relative + (type == QuantType.Float4E2M1 ? 0.25 : 1e-3),
                $"{type}: {x[i]} -> {back[i]}");
    }

    [Fact]
    public void IntegerValuesPackAndSignExtend()
    {
        byte[] values = [0xF8, 0x07, 0xFF]; // -8, 7, -1 as int4
        var raw = OnnxRawData.PackValues(values, QuantType.Int4);
        Assert.Equal(new byte[] { 0x78, 0x0F }, raw);
        Assert.Equal(values, OnnxRawData.UnpackValues(raw, QuantType.Int4, 3));
        Assert.Equal(new byte[] { 0x78, 0x0F }, OnnxRawData.UnpackValues(raw, QuantType.UInt8, 2));
        Assert.Equal(new byte[] { 8, 7, 15 }, OnnxRawData.UnpackValues(raw, QuantType.UInt4, 3));
    }
}
