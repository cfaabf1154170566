using Qaas.Quantization.Formats;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Tests;

public class QuantParamsTests
{
    [Fact]
    public void AsymmetricUInt8CoversTheRange()
    {
        var p = QuantParamsCalculator.FromRange(-1f, 3f, QuantType.UInt8, symmetric: false);
        Assert.Equal(4f / 255f, p.Scale, 6);
        Assert.Equal(64, p.ZeroPoint); // round(0 - (-1) / (4/255)) = round(63.75)
    }

    [Fact]
    public void SymmetricSignedHasZeroZeroPointAndUsesTheLargerSide()
    {
        var p = QuantParamsCalculator.FromRange(-2f, 0.5f, QuantType.Int8, symmetric: true);
        Assert.Equal(0, p.ZeroPoint);
        Assert.Equal(2f / 127f, p.Scale, 7);
        var p4 = QuantParamsCalculator.FromRange(-1f, 3.5f, QuantType.Int4, symmetric: true);
        Assert.Equal(0.5f, p4.Scale);
    }

    [Fact]
    public void SymmetricUnsignedCentersTheZeroPoint()
    {
        Assert.Equal(128, QuantParamsCalculator.FromRange(-1f, 1f, QuantType.UInt8, true).ZeroPoint);
        var p = QuantParamsCalculator.FromRange(-7f, 1f, QuantType.UInt4, true);
        Assert.Equal(8, p.ZeroPoint);
        Assert.Equal(1f, p.Scale);
    }

    [Fact]
    public void RangeIsWidenedToIncludeZero()
    {
        // [2, 4] must become [0, 4]: zero maps exactly to the zero point.
        var p = QuantParamsCalculator.FromRange(2f, 4f, QuantType.UInt8, symmetric: false);
        Assert.Equal(0, p.ZeroPoint);
        Assert.Equal(4f / 255f, p.Scale, 7);
        var negative = QuantParamsCalculator.FromRange(-4f, -2f, QuantType.Int8, symmetric: false);
        Assert.Equal(127, negative.ZeroPoint);
        Assert.Equal(0f, (QuantizeLinear.Scalar(0f, negative.Scale, negative.ZeroPoint, -128, 127) - negative.ZeroPoint) * negative.Scale);
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(1e-45f, 1e-45f)]
    public void DegenerateRangesNeverGiveAZeroScale(float min, float max)
    {
        foreach (var symmetric in new[] { true, false })
        {
            var p = QuantParamsCalculator.FromRange(min, max, QuantType.Int8, symmetric);
            Assert.True(p.Scale > 0 && float.IsFinite(p.Scale));
            Assert.InRange(p.ZeroPoint, -128, 127);
        }
    }

    [Fact]
    public void ZeroPointAlwaysInRange()
    {
        var random = new Random(3);
        foreach (var type in new[] { QuantType.Int8, QuantType.UInt8, QuantType.Int4, QuantType.UInt4, QuantType.Int2, QuantType.Int16 })
        {
            for (int i = 0; i < 500; i++)
            {
                float a = (float)(random.NextDouble() * 20 - 10), b = (float)(random.NextDouble() * 20 - 10);
                var p = QuantParamsCalculator.FromRange(Math.Min(a, b), Math.Max(a, b), type, symmetric: i % 2 == 0);
                Assert.InRange(p.ZeroPoint, type.QMin(), type.QMax());
                Assert.True(p.Scale > 0);
            }
        }
    }

    [Fact]
    public void PerChannelOnAnyAxisMatchesTheChannelRanges()
    {
        int[] shape = [4, 5, 6];
        var x = TestData.Uniform(4 * 5 * 6, -3, 5, seed: 1);
        for (int axis = 0; axis < 3; axis++)
        {
            var p = QuantParamsCalculator.PerChannel(x, shape, axis, QuantType.UInt8, symmetric: false);
            Assert.Equal(shape[axis], p.Scales.Length);
            for (int c = 0; c < shape[axis]; c++)
            {
                float min = 0, max = 0;
                for (int i = 0; i < 4; i++)
                for (int j = 0; j < 5; j++)
                for (int k = 0; k < 6; k++)
                {
                    int[] index = [i, j, k];
                    if (index[axis] != c) continue;
                    float v = x[(i * 5 + j) * 6 + k];
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                }
                var expected = QuantParamsCalculator.FromRange(min, max, QuantType.UInt8, false);
                Assert.Equal(expected, new QuantParams(p.Scales[c], p.ZeroPoints[c]));
            }
        }
    }

    [Fact]
    public void PerBlockShapeFollowsOnnxBlockedQuantization()
    {
        int[] shape = [70, 3];
        var x = TestData.Uniform(210, -1, 1, seed: 2);
        var p = QuantParamsCalculator.PerBlock(x, shape, axis: 0, blockSize: 32, QuantType.Int4, symmetric: true);
        Assert.Equal([3, 3], p.ParamShape);
        Assert.Equal(9, p.Scales.Length);
        // The last block holds rows 64..69 only.
        for (int col = 0; col < 3; col++)
        {
            float absMax = 0;
            for (int row = 64; row < 70; row++)
                absMax = Math.Max(absMax, Math.Abs(x[row * 3 + col]));
            Assert.Equal(absMax / 7f, p.Scales[2 * 3 + col], 6);
        }
    }
}
