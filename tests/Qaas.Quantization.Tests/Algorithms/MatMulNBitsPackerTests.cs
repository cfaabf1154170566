using Qaas.Quantization.Algorithms;

namespace Qaas.Quantization.Tests;

public class MatMulNBitsPackerTests
{
    [Fact]
    public void LayoutIsTransposedBlockwiseWithLowNibbleFirst()
    {
        // W[16, 2]: column 0 = k, column 1 = 15 - k. Asymmetric 4-bit: scale 1, zero point 0, q = w.
        int k = 16, n = 2;
        var w = new float[k * n];
        for (int r = 0; r < k; r++)
        {
            w[r * n] = r;
            w[r * n + 1] = 15 - r;
        }
        var m = MatMulNBitsPacker.Pack(w, k, n, bits: 4, blockSize: 16, symmetric: false);
        Assert.Equal([2, 1, 8], m.BShape);
        Assert.Equal(new byte[] { 0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE }, m.B.AsSpan(0, 8).ToArray());
        Assert.Equal(new byte[] { 0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01 }, m.B.AsSpan(8, 8).ToArray());
        Assert.Equal(new[] { 1f, 1f }, m.Scales);
        Assert.Equal(new byte[] { 0, 0 }, m.ZeroPoints);
        Assert.Equal(w, MatMulNBitsPacker.Dequantize(m));
    }

    [Fact]
    public void ScalesAreColumnMajorAndZeroPointsPackTwoPerByte()
    {
        // K = 48 with block 16 -> 3 blocks per column; zero points need ceil(3 * 4 / 8) = 2 bytes per column.
        int k = 48, n = 3;
        var w = TestData.Uniform(k * n, -1, 3, seed: 2);
        var m = MatMulNBitsPacker.Pack(w, k, n, 4, 16, symmetric: false);
        var rtn = Rtn.Quantize(w, k, n, 0, 15, false, 16);
        Assert.Equal(3 * 2, m.ZeroPoints.Length);
        Assert.Equal(9, m.Scales.Length);
        for (int col = 0; col < n; col++)
        {
            for (int b = 0; b < 3; b++)
                Assert.Equal(rtn.Scales[b * n + col], m.Scales[col * 3 + b]);
            Assert.Equal(rtn.ZeroPoints[0 * n + col] | rtn.ZeroPoints[1 * n + col] << 4, m.ZeroPoints[col * 2]);
            Assert.Equal(rtn.ZeroPoints[2 * n + col], m.ZeroPoints[col * 2 + 1]);
        }
    }

    [Theory]
    [InlineData(4, 32, true)]
    [InlineData(4, 128, false)]
    [InlineData(8, 64, false)]
    [InlineData(8, 16, true)]
    [InlineData(2, 16, false)]
    [InlineData(4, 256, true)]
    public void DequantizeEqualsRtnDequantize(int bits, int blockSize, bool symmetric)
    {
        int k = 200, n = 37; // K not a multiple of the block, N odd and not a multiple of the column tile
        var w = TestData.Gaussian(k * n, 0.1f, seed: bits * 1000 + blockSize);
        var m = MatMulNBitsPacker.Pack(w, k, n, bits, blockSize, symmetric);
        var rtn = Rtn.Quantize(w, k, n, 0, (1 << bits) - 1, symmetric, blockSize);
        Assert.Equal(rtn.Dequantize(), MatMulNBitsPacker.Dequantize(m));
        Assert.Equal(n * ((k + blockSize - 1) / blockSize) * blockSize * bits / 8, m.B.Length);
        if (symmetric)
            Assert.All(rtn.ZeroPoints, zp => Assert.Equal(1 << (bits - 1), zp));
    }

    [Fact]
    public void RejectsUnsupportedShapes()
    {
        var w = new float[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMulNBitsPacker.Pack(w, 8, 8, 3, 16, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMulNBitsPacker.Pack(w, 8, 8, 4, 24, true));
        Assert.Throws<ArgumentException>(() => MatMulNBitsPacker.Pack(w, 8, 9, 4, 16, true));
    }
}
