using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Tests;

public class BitPackingTests
{
    [Fact]
    public void Int4PutsTheFirstElementInTheLowNibble()
    {
        var packed = new byte[2];
        BitPacking.Pack([1, 2, 0xF], 4, packed);
        Assert.Equal(new byte[] { 0x21, 0x0F }, packed);
    }

    [Fact]
    public void SignedInt4RoundTrips()
    {
        sbyte[] values = [-8, -1, 0, 7, 3, -5, 1];
        var raw = new byte[values.Length];
        for (int i = 0; i < values.Length; i++) raw[i] = (byte)values[i];
        var packed = new byte[BitPacking.PackedLength(values.Length, 4)];
        BitPacking.Pack(raw, 4, packed);
        Assert.Equal(4, packed.Length);
        Assert.Equal(0xF8, packed[0]); // -8 = 0x8 low, -1 = 0xF high
        var back = new sbyte[values.Length];
        BitPacking.UnpackSigned(packed, 4, back);
        Assert.Equal(values, back);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(8)]
    public void UnsignedRoundTripsForAnyWidth(int bits)
    {
        var random = new Random(bits);
        var values = new byte[101];
        for (int i = 0; i < values.Length; i++) values[i] = (byte)random.Next(1 << bits);
        var packed = new byte[BitPacking.PackedLength(values.Length, bits)];
        BitPacking.Pack(values, bits, packed);
        var back = new byte[values.Length];
        BitPacking.Unpack(packed, bits, back);
        Assert.Equal(values, back);
    }

    [Fact]
    public void TwoBitPacksFourPerByteLowFirst()
    {
        var packed = new byte[1];
        BitPacking.Pack([1, 2, 3, 0], 2, packed);
        Assert.Equal(0b00_11_10_01, packed[0]);
    }
}
