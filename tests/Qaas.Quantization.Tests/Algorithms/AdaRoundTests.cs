using Qaas.Quantization.Algorithms;
using Xunit.Abstractions;

namespace Qaas.Quantization.Tests.Algorithms;

public class AdaRoundTests(ITestOutputHelper output)
{
    private const int Rows = 32, D = 48;

    // Inputs with a shared offset and correlated neighbours: the rounding errors of a row can cancel against them.
    private static float[] Inputs(int samples, int seed)
    {
        var z = TestData.Gaussian(samples * (D + 1), 1, seed);
        var x = new float[samples * D];
        for (int s = 0; s < samples; s++)
            for (int j = 0; j < D; j++)
                x[s * D + j] = 0.8f + z[s * (D + 1) + j] + 0.7f * z[s * (D + 1) + j + 1];
        return x;
    }

    private static float[] Moments(float[] x)
    {
        int samples = x.Length / D;
        var h = new float[D * D];
        for (int s = 0; s < samples; s++)
            for (int i = 0; i < D; i++)
                for (int j = 0; j < D; j++)
                    h[i * D + j] += x[s * D + i] * x[s * D + j] / samples;
        return h;
    }

    private static (float[] Scales, int[] ZeroPoints) Int4Grid(float[] w)
    {
        var scales = new float[Rows];
        for (int r = 0; r < Rows; r++)
            scales[r] = w.AsSpan(r * D, D).ToArray().Max(MathF.Abs) / 7;
        return (scales, new int[Rows]);
    }

    // Mean squared output error of integer weights (values - zero point) * scale against w, over inputs x.
    private static double OutputError(float[] w, int[] values, float[] scales, float[] x)
    {
        int samples = x.Length / D;
        double sum = 0;
        for (int s = 0; s < samples; s++)
            for (int r = 0; r < Rows; r++)
            {
                double e = 0;
                for (int j = 0; j < D; j++)
                    e += (values[r * D + j] * scales[r] - w[r * D + j]) * x[s * D + j];
                sum += e * e;
            }
        return sum / (samples * Rows);
    }

    private static int[] Nearest(float[] w, float[] scales, int qmin, int qmax) =>
        Enumerable.Range(0, w.Length).Select(i => Math.Clamp((int)MathF.Round(w[i] / scales[i / D], MidpointRounding.ToEven), qmin, qmax)).ToArray();

    [Fact]
    public void Int4_rounding_lowers_the_output_error_on_inputs_it_never_saw()
    {
        var w = TestData.Gaussian(Rows * D, 0.1f, seed: 5);
        var (scales, zeroPoints) = Int4Grid(w);
        var result = AdaRound.Round(w, Rows, D, scales, zeroPoints, -8, 7, Moments(Inputs(400, seed: 1)));
        var nearest = Nearest(w, scales, -8, 7);
        var heldOut = Inputs(400, seed: 2);
        double before = OutputError(w, nearest, scales, heldOut), after = OutputError(w, result.Values, scales, heldOut);
        output.WriteLine($"held-out output MSE {before:E3} nearest, {after:E3} AdaRound; calibration loss ratio {result.RoundedLoss / result.NearestLoss:F3}, {result.ImprovedRows}/{Rows} rows");
        Assert.True(after < 0.75 * before, $"{after:E3} vs {before:E3}");
        Assert.True(result.RoundedLoss < result.NearestLoss);
        // Every value is one of the two grid points around w / s: rounding, not a new weight.
        for (int i = 0; i < w.Length; i++)
        {
            float x = w[i] / scales[i / D];
            Assert.InRange(result.Values[i], Math.Max(-8, (int)MathF.Floor(x)), Math.Min(7, (int)MathF.Floor(x) + 1));
        }
    }

    [Fact]
    public void With_uncorrelated_inputs_round_to_nearest_is_kept()
    {
        // H = I: every element's error counts alone, so nearest is the unique optimum and no row may change.
        var w = TestData.Gaussian(Rows * D, 0.1f, seed: 7);
        var (scales, zeroPoints) = Int4Grid(w);
        var identity = new float[D * D];
        for (int i = 0; i < D; i++) identity[i * D + i] = 1;
        var result = AdaRound.Round(w, Rows, D, scales, zeroPoints, -8, 7, identity);
        Assert.Equal(Nearest(w, scales, -8, 7), result.Values);
        Assert.Equal(result.NearestLoss, result.RoundedLoss);
    }

    [Fact]
    public void Zero_points_and_clamping_follow_the_unsigned_grid()
    {
        // Asymmetric uint8 rows whose range puts some weights at the grid's ends: values stay in [0, 255].
        var w = TestData.Uniform(Rows * D, -0.2f, 0.6f, seed: 9);
        var scales = new float[Rows];
        var zeroPoints = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            var row = w.AsSpan(r * D, D).ToArray();
            scales[r] = (row.Max() - Math.Min(0, row.Min())) / 255;
            zeroPoints[r] = (int)MathF.Round(-Math.Min(0, row.Min()) / scales[r]);
        }
        var result = AdaRound.Round(w, Rows, D, scales, zeroPoints, 0, 255, Moments(Inputs(200, seed: 3)));
        Assert.All(result.Values, v => Assert.InRange(v, 0, 255));
        for (int i = 0; i < w.Length; i++)
            Assert.True(Math.Abs((result.Values[i] - zeroPoints[i / D]) * scales[i / D] - w[i]) <= scales[i / D] * 1.0001f);
        Assert.True(result.RoundedLoss <= result.NearestLoss);
    }

    [Fact]
    public void Shapes_that_do_not_agree_are_refused()
    {
        var w = new float[Rows * D];
        Assert.Throws<ArgumentException>(() => AdaRound.Round(w, Rows, D, new float[Rows], new int[Rows], -8, 7, new float[D]));
        Assert.Throws<ArgumentException>(() => AdaRound.Round(w, Rows, D + 1, new float[Rows], new int[Rows], -8, 7, new float[D * D]));
    }
}
