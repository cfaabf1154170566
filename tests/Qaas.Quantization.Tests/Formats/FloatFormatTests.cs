using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Tests;

public class FloatFormatTests
{
    [Fact]
    public void Float16EdgeValues()
    {
        float[] x = [65504f, 70000f, MathF.ScaleB(1, -24), MathF.ScaleB(1, -26), float.NaN, float.NegativeInfinity, 1f / 3];
        var bits = new ushort[x.Length];
        var back = new float[x.Length];
        Float16Conversion.ToBits(x, bits);
        Float16Conversion.FromBits(bits, back);
        Assert.Equal(0x7BFF, bits[0]);
        Assert.Equal(float.PositiveInfinity, back[1]); // IEEE cast overflows to infinity
        Assert.Equal(0x0001, bits[2]); // smallest subnormal
        Assert.Equal(0f, back[3]);
        Assert.True(float.IsNaN(back[4]));
        Assert.Equal(float.NegativeInfinity, back[5]);
        Assert.Equal((float)(Half)(1f / 3), back[6]);
    }

    [Fact]
    public void BFloat16RoundsToNearestEven()
    {
        Assert.Equal(0x3F80, BFloat16Conversion.ToBits(1f));
        Assert.Equal(0x3F80, BFloat16Conversion.ToBits(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie, even stays
        Assert.Equal(0x3F82, BFloat16Conversion.ToBits(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie, odd rounds up
        Assert.Equal(0x3F81, BFloat16Conversion.ToBits(BitConverter.UInt32BitsToSingle(0x3F808001)));
        Assert.Equal(0x7F80, BFloat16Conversion.ToBits(float.PositiveInfinity));
        Assert.Equal(0x7F80, BFloat16Conversion.ToBits(float.MaxValue)); // rounds up past the largest bf16
        Assert.True(float.IsNaN(BFloat16Conversion.ToFloat(BFloat16Conversion.ToBits(float.NaN))));
        Assert.Equal(0x8000, BFloat16Conversion.ToBits(-0f));
    }

    [Fact]
    public void BFloat16VectorPathAgreesWithScalar()
    {
        var x = TestData.Gaussian(1000, 10, 3);
        x[5] = float.NaN;
        x[6] = BitConverter.UInt32BitsToSingle(0xFFC12345);
        x[7] = BitConverter.UInt32BitsToSingle(0x3F818000);
        var bits = new ushort[x.Length];
        BFloat16Conversion.ToBits(x, bits);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(BFloat16Conversion.ToBits(x[i]), bits[i]);
        var back = new float[x.Length];
        BFloat16Conversion.ToFloat(bits, back);
        for (int i = 8; i < x.Length; i++)
            Assert.True(Math.Abs(back[i] - x[i]) <= Math.Abs(x[i]) * MathF.ScaleB(1, -8));
    }

    [Theory]
    [InlineData(1f, 0x38)]
    [InlineData(448f, 0x7E)]
    [InlineData(449f, 0x7E)]
    [InlineData(1000f, 0x7E)]
    [InlineData(-1000f, 0xFE)]
    [InlineData(float.PositiveInfinity, 0x7E)]
    [InlineData(float.NegativeInfinity, 0xFE)]
    [InlineData(0.001953125f, 0x01)] // 2^-9, smallest subnormal
    [InlineData(0.0009765625f, 0x00)] // 2^-10: tie between 0 and 2^-9 goes to even (0)
    [InlineData(0.00146484375f, 0x01)] // 1.5 * 2^-10 rounds up
    [InlineData(0.0029296875f, 0x02)] // 1.5 * 2^-9: tie between codes 1 and 2 -> even (2)
    [InlineData(0.015625f, 0x08)] // 2^-6, smallest normal
    [InlineData(-0f, 0x80)]
    [InlineData(1.0625f, 0x38)] // tie between 1 and 1.125 -> even mantissa
    [InlineData(1.1875f, 0x3A)] // tie between 1.125 and 1.25 -> 1.25
    [InlineData(15.5f, 0x58)] // tie between 15 and 16 -> 16 (carry into the exponent)
    public void Float8E4M3FnEncodes(float x, int code) => Assert.Equal(code, MiniFloatFormat.E4M3FN.Encode(x));

    [Theory]
    [InlineData(1f, 0x3C)]
    [InlineData(57344f, 0x7B)]
    [InlineData(1e6f, 0x7B)]
    [InlineData(float.PositiveInfinity, 0x7B)]
    [InlineData(float.NegativeInfinity, 0xFB)]
    [InlineData(1.52587890625e-05f, 0x01)] // 2^-16, smallest subnormal
    [InlineData(6.103515625e-05f, 0x04)] // 2^-14, smallest normal
    [InlineData(-2f, 0xC0)]
    public void Float8E5M2Encodes(float x, int code) => Assert.Equal(code, MiniFloatFormat.E5M2.Encode(x));

    [Fact]
    public void Float8NaNAndDecodeTable()
    {
        // .NET's float.NaN carries the sign bit; the sign is kept, the payload becomes the format's NaN.
        Assert.Equal(0x7F, MiniFloatFormat.E4M3FN.Encode(BitConverter.UInt32BitsToSingle(0x7FC00000)));
        Assert.Equal(0xFF, MiniFloatFormat.E4M3FN.Encode(BitConverter.UInt32BitsToSingle(0xFFC00000)));
        Assert.True(float.IsNaN(MiniFloatFormat.E5M2.Decode(MiniFloatFormat.E5M2.Encode(float.NaN))));
        Assert.True(float.IsNaN(MiniFloatFormat.E4M3FN.Decode(0x7F)));
        Assert.True(float.IsNaN(MiniFloatFormat.E4M3FN.Decode(0xFF)));
        Assert.Equal(448f, MiniFloatFormat.E4M3FN.MaxValue);
        Assert.Equal(57344f, MiniFloatFormat.E5M2.MaxValue);
        Assert.Equal(float.PositiveInfinity, MiniFloatFormat.E5M2.Decode(0x7C));
        Assert.True(float.IsNaN(MiniFloatFormat.E5M2.Decode(0x7D)));
        Assert.Equal(-0.001953125f, MiniFloatFormat.E4M3FN.Decode(0x81));
    }

    [Fact]
    public void EveryFiniteCodeRoundTrips()
    {
        foreach (var format in new[] { MiniFloatFormat.E4M3FN, MiniFloatFormat.E5M2, MiniFloatFormat.E2M1 })
        {
            for (int code = 0; code < 1 << format.BitWidth; code++)
            {
                float v = format.Decode((byte)code);
                if (!float.IsFinite(v)) continue;
                Assert.Equal(code, format.Encode(v));
            }
        }
    }

    [Fact]
    public void Float8EncodingPicksTheNearestValue()
    {
        var x = TestData.Gaussian(3000, 50, 12);
        foreach (var format in new[] { MiniFloatFormat.E4M3FN, MiniFloatFormat.E5M2 })
        {
            var codes = new byte[x.Length];
            var back = new float[x.Length];
            format.Encode(x, codes);
            format.Decode(codes, back);
            for (int i = 0; i < x.Length; i++)
            {
                // No other finite code is strictly closer.
                float error = Math.Abs(back[i] - x[i]);
                for (int c = 0; c < 256; c++)
                {
                    float v = format.Decode((byte)c);
                    if (float.IsFinite(v))
                        Assert.True(Math.Abs(v - x[i]) >= error, $"{x[i]}: {back[i]} but {v} is closer");
                }
            }
        }
    }

    [Theory]
    [InlineData(0f, 0x0)]
    [InlineData(0.5f, 0x1)]
    [InlineData(1.5f, 0x3)]
    [InlineData(6f, 0x7)]
    [InlineData(7f, 0x7)]
    [InlineData(100f, 0x7)]
    [InlineData(5f, 0x6)] // tie between 4 and 6 -> even mantissa (4)
    [InlineData(2.5f, 0x4)] // tie between 2 and 3 -> 2
    [InlineData(0.25f, 0x0)] // tie between 0 and 0.5 -> 0
    [InlineData(0.75f, 0x2)] // tie between 0.5 and 1 -> 1
    [InlineData(-3f, 0xD)]
    [InlineData(float.NegativeInfinity, 0xF)]
    [InlineData(float.NaN, 0x7)]
    public void Float4E2M1Encodes(float x, int code) => Assert.Equal(code, MiniFloatFormat.E2M1.Encode(x));

    [Fact]
    public void Nf4CodeBookIsSortedWithExactZeroAndEndsAtOne()
    {
        var book = NormalFloat4.CodeBook;
        Assert.Equal(16, book.Length);
        Assert.Equal(-1f, book[0]);
        Assert.Equal(0f, book[7]);
        Assert.Equal(1f, book[15]);
        for (int i = 1; i < book.Length; i++)
        {
            Assert.True(book[i] > book[i - 1]);
            Assert.Equal(i, NormalFloat4.Encode(book[i]));
        }
    }

    [Fact]
    public void Nf4BlockwiseRoundTripErrorIsBounded()
    {
        var x = TestData.Gaussian(1000, 1, 21);
        var codes = new byte[x.Length];
        var absMax = new float[(x.Length + 63) / 64];
        NormalFloat4.QuantizeBlockwise(x, 64, codes, absMax);
        var back = new float[x.Length];
        NormalFloat4.DequantizeBlockwise(codes, absMax, 64, back);
        var book = NormalFloat4.CodeBook;
        float largestGap = 0;
        for (int i = 1; i < book.Length; i++) largestGap = Math.Max(largestGap, book[i] - book[i - 1]);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(back[i] - x[i]) <= absMax[i / 64] * largestGap / 2 * 1.0001f);
        // The block maximum itself is exact.
        int at = Array.IndexOf(x, x.AsSpan(0, 64).ToArray().MaxBy(Math.Abs));
        Assert.Equal(x[at], back[at], 5);
    }
}
