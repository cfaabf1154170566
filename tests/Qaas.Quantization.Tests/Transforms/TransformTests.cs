using Qaas.Quantization.Transforms;

namespace Qaas.Quantization.Tests;

public class TransformTests
{
    [Fact]
    public void FoldedConvEqualsConvFollowedByBatchNorm()
    {
        // A 1x1 convolution with 3 input and 4 output channels on 5 pixels is y[o, p] = sum_i W[o, i] x[i, p] + b[o].
        int cout = 4, cin = 3, pixels = 5;
        var w = TestData.Gaussian(cout * cin, 1, 1);
        var b = TestData.Gaussian(cout, 1, 2);
        var x = TestData.Gaussian(cin * pixels, 1, 3);
        float[] gamma = [1.5f, 0.5f, -1f, 2f], beta = [0.1f, -0.2f, 0.3f, 0f], mean = [0.5f, -1f, 0f, 2f], variance = [1f, 4f, 0.25f, 9f];
        const float eps = 1e-5f;
        float[] Conv(float[] weights, float[] bias)
        {
            var y = new float[cout * pixels];
            for (int o = 0; o < cout; o++)
            for (int p = 0; p < pixels; p++)
            {
                float s = bias[o];
                for (int i = 0; i < cin; i++) s += weights[o * cin + i] * x[i * pixels + p];
                y[o * pixels + p] = s;
            }
            return y;
        }
        var reference = Conv(w, b);
        for (int o = 0; o < cout; o++)
        for (int p = 0; p < pixels; p++)
            reference[o * pixels + p] = (reference[o * pixels + p] - mean[o]) / MathF.Sqrt(variance[o] + eps) * gamma[o] + beta[o];
        var folded = (float[])w.Clone();
        var foldedBias = BatchNormFolding.Fold(folded, b, gamma, beta, mean, variance, eps);
        var actual = Conv(folded, foldedBias);
        for (int i = 0; i < actual.Length; i++)
            Assert.Equal(reference[i], actual[i], 4);
    }

    [Fact]
    public void FoldingWithoutBiasTreatsItAsZero()
    {
        var w = new float[] { 2f, 4f };
        var bias = BatchNormFolding.Fold(w, [], [1f], [1f], [3f], [0f], 0.25f);
        Assert.Equal(new[] { 4f, 8f }, w); // factor 1 / sqrt(0.25) = 2
        Assert.Equal(new[] { -5f }, bias); // (0 - 3) * 2 + 1
    }

    [Fact]
    public void SmoothQuantScalesFollowTheFormulaAndPreserveTheProduct()
    {
        var s = SmoothQuant.Scales([16f, 1f], [4f, 1f], alpha: 0.5f);
        Assert.Equal(2f, s[0], 6); // sqrt(16) / sqrt(4)
        Assert.Equal(1f, s[1], 6);
        // (X / s) @ (diag(s) W) == X @ W
        int k = 3, n = 2;
        var w = new float[] { 1, 2, 3, 4, 5, 6 };
        var x = new float[] { 10, -20, 0.5f };
        var scales = SmoothQuant.Scales([10f, 20f, 0.5f], SmoothQuant.WeightRowAbsMax(w, k, n), 0.8f);
        var scaled = (float[])w.Clone();
        SmoothQuant.ScaleWeightRows(scaled, k, n, scales);
        for (int c = 0; c < n; c++)
        {
            float expected = 0, actual = 0;
            for (int j = 0; j < k; j++)
            {
                expected += x[j] * w[j * n + c];
                actual += x[j] / scales[j] * scaled[j * n + c];
            }
            Assert.Equal(expected, actual, 3);
        }
    }
}
