using Qaas.Quantization.Algorithms;

namespace Qaas.Quantization.Tests;

/// <summary>The fused Pack must equal the two-step reference, Rtn.Quantize into bytes followed by PackQuantized, bit for bit.</summary>
public class MatMulNBitsPackerFusedTests
{
    [Theory]
    [InlineData(4, 32, false, 200, 37)]   // K not a multiple of the block, N odd
    [InlineData(4, 32, true, 256, 300)]   // several column tiles, a partial vector group
    [InlineData(4, 16, false, 33, 8)]     // last block holds one row
    [InlineData(4, 128, false, 100, 5)]   // one block longer than K: padded with the zero point
    [InlineData(4, 256, true, 513, 129)]
    [InlineData(2, 16, false, 150, 21)]
    [InlineData(2, 64, true, 64, 16)]
    [InlineData(8, 32, false, 95, 131)]
    [InlineData(8, 64, true, 64, 3)]
    [InlineData(4, 64, false, 2048, 40)]  // one column panel: K split across work items
    [InlineData(4, 32, true, 1024, 300)]  // a full panel, then 32 wide and 12 narrow columns
    public void EqualsRtnThenPack(int bits, int blockSize, bool symmetric, int k, int n)
    {
        var w = TestData.Gaussian(k * n, 0.1f, seed: bits * 7919 + blockSize + k + n);
        // Ties and special ranges: exact .5 steps, an all-zero column, a constant column, a positive-only column.
        for (int r = 0; r < k; r++)
        {
            w[r * n] = (r % 9 - 4) * 0.25f;
            if (n > 1) w[r * n + 1] = 0f;
            if (n > 2) w[r * n + 2] = 3f;
            if (n > 3) w[r * n + 3] = Math.Abs(w[r * n + 3]) + 1e-3f;
        }
        AssertSame(Reference(w, k, n, bits, blockSize, symmetric), Fused(w, k, n, bits, blockSize, symmetric));
    }

    [Theory]
    [InlineData(false, 103, 37)]  // 16-column vector groups, an 8-column group, a 5-column edge; a 7-row last block
    [InlineData(true, 64, 53)]
    [InlineData(false, 32, 16)]
    public void ExactHalfStepsRoundToEvenOnEveryPath(bool symmetric, int k, int n)
    {
        // Scale 0.25 exactly: asymmetric [0, 3.75] / 15, symmetric 1.75 / 7. Every other value sits on a half step.
        const float step = 0.25f;
        var w = new float[k * n];
        for (int r = 0; r < k; r++)
            for (int c = 0; c < n; c++)
            {
                int inBlock = r % 32;
                w[r * n + c] = inBlock switch
                {
                    0 => symmetric ? -1.75f : 0f,
                    1 => symmetric ? 1.75f : 3.75f,
                    _ => ((symmetric ? (inBlock + c) % 14 - 7 : (inBlock + c) % 15) + 0.5f) * step,
                };
            }
        var packed = Fused(w, k, n, 4, 32, symmetric);
        AssertSame(Reference(w, k, n, 4, 32, symmetric), packed);
        var dequantized = MatMulNBitsPacker.Dequantize(packed);
        for (int i = 0; i < w.Length; i++)
        {
            if (i / n % 32 < 2)
                continue;
            // (q + 0.5) * step rounds to the even one of q and q + 1.
            float steps = w[i] / step - 0.5f;
            float even = MathF.Abs(steps % 2) == 0 ? steps : steps + 1;
            Assert.Equal(even * step, dequantized[i]);
        }
    }

    [Fact]
    public void ExtremeValuesMatchTheReference()
    {
        int k = 64, n = 24;
        var w = TestData.Uniform(k * n, -1, 1, seed: 11);
        w[5 * n + 0] = float.PositiveInfinity;
        w[7 * n + 9] = float.NegativeInfinity;
        w[40 * n + 17] = 1e-40f; // denormal-only range in its block otherwise zero
        for (int r = 32; r < 64; r++)
            if (r != 40) w[r * n + 17] = 0;
        w[3 * n + 20] = 3e38f;
        w[4 * n + 20] = -3e38f;
        foreach (var symmetric in new[] { false, true })
            AssertSame(Reference(w, k, n, 4, 32, symmetric), Fused(w, k, n, 4, 32, symmetric));
    }

    [Fact]
    public void NaNIsRejectedLikeTheReference()
    {
        int k = 32, n = 16;
        var w = TestData.Uniform(k * n, -1, 1, seed: 5);
        w[10 * n + 3] = float.NaN;
        var expected = Record.Exception(() => Reference(w, k, n, 4, 32, false));
        var actual = Record.Exception(() => MatMulNBitsPacker.Pack(w, k, n, 4, 32, false));
        Assert.NotNull(expected);
        Assert.Equal(expected.GetType(), actual?.GetType());
    }

    [Fact]
    public void ParallelismDoesNotChangeTheResult()
    {
        int k = 320, n = 700;
        var w = TestData.Gaussian(k * n, 1, seed: 8);
        AssertSame(MatMulNBitsPacker.Pack(w, k, n, 4, 32, false, maxDegreeOfParallelism: 1),
            MatMulNBitsPacker.Pack(w, k, n, 4, 32, false, maxDegreeOfParallelism: 4));
    }

    // The fused pass itself: Pack would hide a wrongful decline behind the reference path.
    private static MatMulNBitsWeights Fused(float[] w, int k, int n, int bits, int blockSize, bool symmetric)
    {
        var fused = MatMulNBitsTilePacker.Pack(w, k, n, bits, blockSize, symmetric, maxDegreeOfParallelism: -1);
        Assert.NotNull(fused); // only a NaN makes it decline
        return fused;
    }

    private static MatMulNBitsWeights Reference(float[] w, int k, int n, int bits, int blockSize, bool symmetric) =>
        MatMulNBitsPacker.PackQuantized(Rtn.Quantize(w, k, n, 0, (1 << bits) - 1, symmetric, blockSize), bits, blockSize);

    private static void AssertSame(MatMulNBitsWeights expected, MatMulNBitsWeights actual)
    {
        Assert.Equal(expected.BShape, actual.BShape);
        Assert.Equal(expected.Symmetric, actual.Symmetric);
        Assert.Equal(expected.Scales, actual.Scales);
        Assert.Equal(expected.ZeroPoints, actual.ZeroPoints);
        Assert.Equal(expected.B, actual.B);
    }
}
