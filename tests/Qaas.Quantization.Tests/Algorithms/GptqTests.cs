using Qaas.Quantization.Algorithms;
using Xunit.Abstractions;

namespace Qaas.Quantization.Tests.Algorithms;

public class GptqTests(ITestOutputHelper output)
{
    // X[rows, K] with correlated inputs (four fixed shared factors plus noise), as real activations have; the seed picks
    // the samples, not the distribution.
    private static float[] Inputs(int rows, int k, int seed)
    {
        var random = new Random(seed);
        var factors = TestData.Gaussian(4 * k, 1, 1);
        var x = new float[rows * k];
        for (int r = 0; r < rows; r++)
        {
            var z = Enumerable.Range(0, 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            for (int i = 0; i < k; i++)
                x[r * k + i] = z[0] * factors[i] + z[1] * factors[k + i] + z[2] * factors[2 * k + i] + z[3] * factors[3 * k + i]
                    + 0.1f * (float)(random.NextDouble() * 2 - 1);
        }
        return x;
    }

    private static double[] Gram(float[] x, int rows, int k)
    {
        var h = new double[k * k];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++)
                    h[i * k + j] += (double)x[r * k + i] * x[r * k + j];
        return h;
    }

    // ||X W - X W'||^2 over the rows of X.
    private static double OutputError(float[] x, int rows, int k, int n, float[] w, float[] restored)
    {
        double e = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < n; c++)
            {
                double a = 0, b = 0;
                for (int i = 0; i < k; i++) { a += x[r * k + i] * w[i * n + c]; b += x[r * k + i] * restored[i * n + c]; }
                e += (a - b) * (a - b);
            }
        return e;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gptq_output_error_is_well_below_round_to_nearest(bool symmetric)
    {
        const int k = 128, n = 48, rows = 256, group = 32;
        var w = TestData.Gaussian(k * n, 0.1f, 7);
        var x = Inputs(rows, k, 11);
        var rtn = Rtn.Quantize(w, k, n, 0, 15, symmetric, group);
        var gptq = Gptq.Quantize(w, k, n, Gram(x, rows, k), bits: 4, groupSize: group, symmetric);

        Assert.Equal(rtn.Scales.Length, gptq.Scales.Length);
        Assert.All(gptq.Values, v => Assert.InRange(v, 0, 15));
        var test = Inputs(rows, k, 99); // other samples from the same distribution
        double rtnError = OutputError(test, rows, k, n, w, rtn.Dequantize());
        double gptqError = OutputError(test, rows, k, n, w, gptq.Dequantize());
        output.WriteLine($"||XW - XW'||^2 on other samples: RTN {rtnError:G4}, GPTQ {gptqError:G4} ({rtnError / gptqError:F0}x less)");
        Assert.True(gptqError < 0.7 * rtnError, $"GPTQ {gptqError:G4} vs RTN {rtnError:G4}");
    }

    [Fact]
    public void A_dead_input_gets_zero_weights_and_the_rest_still_quantize()
    {
        const int k = 32, n = 8;
        var w = TestData.Gaussian(k * n, 0.1f, 3);
        var x = Inputs(64, k, 5);
        for (int r = 0; r < 64; r++) x[r * k + 3] = 0; // input 3 never fires
        var q = Gptq.Quantize(w, k, n, Gram(x, 64, k), bits: 4, groupSize: 16, symmetric: true);
        var restored = q.Dequantize();
        Assert.All(Enumerable.Range(0, n), c => Assert.Equal(0f, restored[3 * n + c]));
    }
}
