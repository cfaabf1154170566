using Qaas.Quantization.Algorithms;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Tests;

public class RtnTests
{
    [Theory]
    [InlineData(QuantType.Int8, true)]
    [InlineData(QuantType.UInt8, false)]
    [InlineData(QuantType.Int4, true)]
    public void PerChannelMatchesPerChannelTensorQuantization(QuantType type, bool symmetric)
    {
        int k = 70, n = 600; // more than one column chunk
        var w = TestData.Gaussian(k * n, 0.05f, seed: 1);
        var rtn = Rtn.Quantize(w, k, n, type, symmetric);
        Assert.True(rtn.PerChannel);
        var expected = QuantParamsCalculator.PerChannel(w, [k, n], 1, type, symmetric);
        Assert.Equal(expected.Scales, rtn.Scales);
        Assert.Equal(expected.ZeroPoints, rtn.ZeroPoints);
        Assert.Equal(TensorQuantizer.Quantize(w, [k, n], expected), rtn.Values);
        Assert.Equal(TensorQuantizer.Dequantize(rtn.Values, [k, n], rtn.ToTensorParams(type)), rtn.Dequantize());
    }

    [Theory]
    [InlineData(32, QuantType.Int4, true)]
    [InlineData(128, QuantType.UInt4, false)]
    [InlineData(16, QuantType.Int8, true)]
    public void BlockwiseMatchesBlockedTensorQuantizationAlongK(int blockSize, QuantType type, bool symmetric)
    {
        int k = 300, n = 40; // K not a multiple of the block
        var w = TestData.Gaussian(k * n, 0.05f, seed: blockSize);
        var rtn = Rtn.Quantize(w, k, n, type, symmetric, blockSize);
        var expected = QuantParamsCalculator.PerBlock(w, [k, n], 0, blockSize, type, symmetric);
        Assert.Equal(expected.ParamShape, rtn.ToTensorParams(type).ParamShape);
        Assert.Equal(expected.Scales, rtn.Scales);
        Assert.Equal(expected.ZeroPoints, rtn.ZeroPoints);
        Assert.Equal(TensorQuantizer.Quantize(w, [k, n], expected), rtn.Values);
        var back = rtn.Dequantize();
        for (int r = 0; r < k; r++)
        for (int c = 0; c < n; c++)
            Assert.True(Math.Abs(back[r * n + c] - w[r * n + c]) <= rtn.Scale(r, c) / 2 * 1.0001f);
    }

    [Fact]
    public void SmallerBlocksGiveSmallerError()
    {
        int k = 512, n = 64;
        var w = TestData.Gaussian(k * n, 1, seed: 3);
        double Mse(int block)
        {
            var back = Rtn.Quantize(w, k, n, QuantType.Int4, true, block).Dequantize();
            double e = 0;
            for (int i = 0; i < w.Length; i++) e += (back[i] - w[i]) * (back[i] - w[i]);
            return e / w.Length;
        }
        double perChannel = Mse(0), block128 = Mse(128), block32 = Mse(32);
        Assert.True(block32 < block128 && block128 < perChannel, $"{block32} {block128} {perChannel}");
    }

    [Fact]
    public void ParallelismDoesNotChangeTheResult()
    {
        int k = 256, n = 1100;
        var w = TestData.Gaussian(k * n, 1, seed: 4);
        var one = Rtn.Quantize(w, k, n, QuantType.Int4, false, 64, maxDegreeOfParallelism: 1);
        var many = Rtn.Quantize(w, k, n, QuantType.Int4, false, 64, maxDegreeOfParallelism: 4);
        Assert.Equal(one.Values, many.Values);
        Assert.Equal(one.Scales, many.Scales);
    }
}
