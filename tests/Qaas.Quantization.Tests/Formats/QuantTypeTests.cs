using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Tests;

public class QuantTypeTests
{
    [Theory]
    [InlineData(QuantType.Int8, 8, -128, 127)]
    [InlineData(QuantType.UInt8, 8, 0, 255)]
    [InlineData(QuantType.Int16, 16, -32768, 32767)]
    [InlineData(QuantType.Int4, 4, -8, 7)]
    [InlineData(QuantType.UInt4, 4, 0, 15)]
    [InlineData(QuantType.Int3, 3, -4, 3)]
    [InlineData(QuantType.Int2, 2, -2, 1)]
    public void IntegerTypesHaveTheirRanges(QuantType type, int bits, int qmin, int qmax)
    {
        Assert.True(type.IsInteger());
        Assert.Equal(bits, type.BitWidth());
        Assert.Equal(qmin, type.QMin());
        Assert.Equal(qmax, type.QMax());
        Assert.Equal(qmin < 0, type.IsSigned());
    }

    [Theory]
    [InlineData(QuantType.Float8E4M3FN, 8)]
    [InlineData(QuantType.Float8E5M2, 8)]
    [InlineData(QuantType.Float4E2M1, 4)]
    [InlineData(QuantType.NF4, 4)]
    [InlineData(QuantType.Float16, 16)]
    [InlineData(QuantType.BFloat16, 16)]
    public void FloatTypesHaveNoIntegerRange(QuantType type, int bits)
    {
        Assert.False(type.IsInteger());
        Assert.Equal(bits, type.BitWidth());
        Assert.Throws<ArgumentException>(() => type.QMin());
    }

    [Fact]
    public void EveryTypeRoundTripsThroughItsRecipeName()
    {
        foreach (var type in Enum.GetValues<QuantType>())
            Assert.Equal(type, QuantTypeInfo.Parse(type.RecipeName()));
        Assert.Equal(QuantType.Float8E4M3FN, QuantTypeInfo.Parse("FP8E4M3FN"));
        Assert.False(QuantTypeInfo.TryParse("int5", out _));
    }
}
