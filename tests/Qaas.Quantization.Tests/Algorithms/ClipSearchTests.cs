using Qaas.Quantization.Algorithms;

namespace Qaas.Quantization.Tests;

public class ClipSearchTests
{
    [Theory]
    [InlineData(true, 4, 32)]
    [InlineData(true, 4, 256)]
    [InlineData(false, 4, 64)]
    [InlineData(true, 2, 16)]
    [InlineData(false, 8, 128)]
    public void Each_block_is_never_worse_than_plain_rtn_and_gaussian_weights_gain(bool symmetric, int bits, int block)
    {
        // K not a multiple of the block and N not a multiple of the vector width: partial blocks and tiles.
        int k = 300, n = 37;
        var w = TestData.Gaussian(k * n, 0.02f, seed: bits * 1000 + block);
        var searched = ClipSearch.Quantize(w, k, n, bits, block, symmetric);
        var plain = Rtn.Quantize(w, k, n, 0, (1 << bits) - 1, symmetric, block);
        var a = searched.Dequantize();
        var b = plain.Dequantize();
        double total = 0, totalPlain = 0;
        for (int kb = 0; kb < searched.KBlocks; kb++)
            for (int col = 0; col < n; col++)
            {
                double e = 0, ePlain = 0;
                for (int r = kb * block; r < Math.Min(k, (kb + 1) * block); r++)
                {
                    e += Square(a[r * n + col] - w[r * n + col]);
                    ePlain += Square(b[r * n + col] - w[r * n + col]);
                }
                Assert.True(e <= ePlain * (1 + 1e-5) + 1e-12, $"block {kb}, column {col}: {e} > {ePlain}");
                total += e;
                totalPlain += ePlain;
            }
        // At 8 bits max|w| is already about the best clip for Gaussian blocks; at 4 bits and below clipping pays.
        if (bits <= 4) Assert.True(total < 0.97 * totalPlain, $"squared error {total} vs plain {totalPlain}");
    }

    [Fact]
    public void Row_weights_trade_error_on_light_rows_for_less_on_heavy_ones()
    {
        // Asymmetric (no refit): both searches pick from the same clipping grid, each by its own error measure.
        int k = 128, n = 40, block = 32;
        var w = TestData.Gaussian(k * n, 0.02f, seed: 7);
        var h = Enumerable.Range(0, k).Select(r => r % 16 == 0 ? 50f : 1f).ToArray();
        var plain = ClipSearch.Quantize(w, k, n, 4, block, symmetric: false).Dequantize();
        var weighted = ClipSearch.Quantize(w, k, n, 4, block, symmetric: false, rowWeights: h).Dequantize();
        double WeightedError(float[] q) => Enumerable.Range(0, k * n).Sum(i => h[i / n] * Square(q[i] - w[i]));
        double PlainError(float[] q) => Enumerable.Range(0, k * n).Sum(i => Square(q[i] - w[i]));
        Assert.True(WeightedError(weighted) < 0.95 * WeightedError(plain), $"{WeightedError(weighted)} vs {WeightedError(plain)}");
        Assert.True(PlainError(weighted) >= PlainError(plain), "the unweighted search is optimal for the unweighted error");
        Assert.Throws<ArgumentException>(() => ClipSearch.Quantize(w, k, n, 4, block, false, rowWeights: new float[k - 1]));
    }

    [Fact]
    public void Symmetric_blocks_keep_the_default_zero_point_and_use_the_full_range()
    {
        int k = 64, n = 16;
        var w = TestData.Gaussian(k * n, 1f, seed: 3);
        var r = ClipSearch.Quantize(w, k, n, 4, 32, symmetric: true);
        Assert.All(r.ZeroPoints, zp => Assert.Equal(8, zp));
        Assert.All(r.Values, q => Assert.InRange(q, (byte)0, (byte)15));
        // The sign of each scale sends the block's largest |w| to level -8, the side with one more step.
        for (int b = 0; b < 2; b++)
            for (int col = 0; col < n; col++)
            {
                int extreme = Enumerable.Range(b * 32, 32).MaxBy(row => MathF.Abs(w[row * n + col]));
                Assert.Equal(MathF.Sign(w[extreme * n + col]), -MathF.Sign(r.Scales[b * n + col]));
                Assert.True(r.Values[extreme * n + col] - 8 <= -7, $"extreme weight at level {r.Values[extreme * n + col] - 8}");
            }
    }

    [Fact]
    public void Zero_blocks_get_scale_one_and_stay_exact()
    {
        int k = 32, n = 9;
        var w = new float[k * n];
        w[5 * n + 2] = 0.5f; // one non-zero column
        var r = ClipSearch.Quantize(w, k, n, 4, 32, symmetric: true);
        Assert.Equal(1f, r.Scales[0]);
        var back = r.Dequantize();
        Assert.Equal(0.5f, back[5 * n + 2], 6);
        Assert.All(back.Where((_, i) => i != 5 * n + 2), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Non_finite_weights_are_refused()
    {
        var w = TestData.Gaussian(64 * 8, 1f, seed: 4);
        w[40 * 8 + 3] = float.NaN;
        var e = Assert.Throws<Qaas.Quantization.Formats.NonFiniteValueException>(() => ClipSearch.Quantize(w, 64, 8, 4, 32, true));
        Assert.Contains("NaN", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipSearch.Quantize(w, 64, 8, 9, 32, true));
        Assert.Throws<ArgumentException>(() => ClipSearch.Quantize(w, 63, 8, 4, 32, true));
    }

    [Fact]
    public void Output_packs_into_matmulnbits_like_rtn()
    {
        int k = 96, n = 24;
        var w = TestData.Gaussian(k * n, 0.1f, seed: 5);
        var r = ClipSearch.Quantize(w, k, n, 4, 64, symmetric: false);
        var packed = MatMulNBitsPacker.PackQuantized(r, 4, 64);
        Assert.Equal(r.Dequantize(), MatMulNBitsPacker.Dequantize(packed));
    }

    private static double Square(double x) => x * x;
}
