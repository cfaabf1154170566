using Qaas.Quantization.Algorithms;
using Xunit.Abstractions;

namespace Qaas.Quantization.Tests.Algorithms;

public class AwqTests(ITestOutputHelper output)
{
    private const int K = 128, N = 64, Rows = 96;

    // int4 MatMulNBits rounding in blocks of 32 along K, as the quantizer stores it.
    private static float[] Int4(float[] w, int k, int n) =>
        MatMulNBitsPacker.Dequantize(MatMulNBitsPacker.Pack(w, k, n, bits: 4, blockSize: 32, symmetric: false));

    // Tokens whose first four channels are 20x the rest: the salient channels AWQ protects.
    private static float[] Tokens(int rows, float salient, int seed)
    {
        var x = TestData.Uniform(rows * K, -1, 1, seed);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < 4; j++)
                x[r * K + j] *= salient;
        return x;
    }

    private static float[] MeanAbs(float[] x) =>
        Enumerable.Range(0, K).Select(j => (float)Enumerable.Range(0, x.Length / K).Average(r => Math.Abs(x[r * K + j]))).ToArray();

    // ||X W - (X / s) Q(s W)||^2, the loss AWQ minimizes, computed the slow way.
    private static double Loss(float[] x, float[] w, float[] s)
    {
        var scaled = (float[])w.Clone();
        for (int j = 0; j < K; j++)
            for (int c = 0; c < N; c++)
                scaled[j * N + c] *= s[j];
        var q = Int4(scaled, K, N);
        double loss = 0;
        for (int r = 0; r < x.Length / K; r++)
            for (int c = 0; c < N; c++)
            {
                double reference = 0, quantized = 0;
                for (int j = 0; j < K; j++)
                {
                    reference += (double)x[r * K + j] * w[j * N + c];
                    quantized += (double)x[r * K + j] / s[j] * q[j * N + c];
                }
                loss += (reference - quantized) * (reference - quantized);
            }
        return loss;
    }

    [Fact]
    public void Salient_channels_are_scaled_up_and_the_output_error_falls()
    {
        var x = Tokens(Rows, salient: 20, seed: 1);
        var w = TestData.Uniform(K * N, -0.5f, 0.5f, seed: 2);
        var result = Awq.Search(MeanAbs(x), x, [(w, N)], (_, v, k, n, _) => Int4(v, k, n));
        output.WriteLine($"alpha {result.Alpha:F2}: loss {result.Loss:G4} vs {result.RoundingLoss:G4} with plain rounding");

        Assert.InRange(result.Alpha, 0.05, 0.95);
        Assert.True(result.Scales.Take(4).Min() > result.Scales.Skip(4).Max(), "the salient channels get the largest scales");
        Assert.True(result.Loss < 0.5 * result.RoundingLoss, $"{result.Loss:G4} vs {result.RoundingLoss:G4}");
        // The reported losses are those of the scales returned, and of no scaling at all.
        Assert.Equal(Loss(x, w, result.Scales), result.Loss, Loss(x, w, result.Scales) * 1e-4);
        Assert.Equal(Loss(x, w, Enumerable.Repeat(1f, K).ToArray()), result.RoundingLoss, result.RoundingLoss * 1e-4);

        // The scales hold on tokens the search never saw.
        var heldOut = Tokens(Rows, salient: 20, seed: 3);
        Assert.True(Loss(heldOut, w, result.Scales) < 0.6 * Loss(heldOut, w, Enumerable.Repeat(1f, K).ToArray()));
    }

    [Fact]
    public void Channels_of_equal_magnitude_keep_plain_rounding()
    {
        var x = Tokens(Rows, salient: 1, seed: 4);
        var meanAbs = Enumerable.Repeat(0.5f, K).ToArray();
        var result = Awq.Search(meanAbs, x, [(TestData.Uniform(K * N, -0.5f, 0.5f, seed: 5), N)], (_, v, k, n, _) => Int4(v, k, n));
        Assert.Equal(0, result.Alpha);
        Assert.All(result.Scales, s => Assert.Equal(1f, s));
        Assert.Equal(result.RoundingLoss, result.Loss);
    }

    [Fact]
    public void Scales_are_normalized_and_leave_unseen_channels_alone()
    {
        var s = Awq.Scales([4f, 1f, 0f, 16f], alpha: 0.5);
        // m^0.5 = 2, 1, -, 4; divided by sqrt(4 * 1) = 2.
        Assert.Equal([1f, 0.5f, 1f, 2f], s);
    }

    [Fact]
    public void Rows_that_are_not_whole_tokens_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Awq.Search(new float[K], new float[K + 1], [(new float[K * N], N)], (_, v, _, _, _) => v));
        Assert.Contains("whole rows", error.Message);
    }
}
