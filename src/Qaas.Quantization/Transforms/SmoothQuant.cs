using System.Numerics.Tensors;

namespace Qaas.Quantization.Transforms;

/// <summary>
/// SmoothQuant (Xiao et al. 2023): migrate activation outliers into weights with per-input-channel
/// s_j = max|X_j|^alpha / max|W_j|^(1 - alpha); X' = X / s, W'[j, :] = W[j, :] * s_j.
/// </summary>
public static class SmoothQuant
{
    /// <param name="activationAbsMax">max|X_j| per input channel j (from calibration).</param>
    /// <param name="weightAbsMax">max|W_j| per input channel j (row j of W[K, N]).</param>
    public static float[] Scales(ReadOnlySpan<float> activationAbsMax, ReadOnlySpan<float> weightAbsMax, float alpha = 0.5f)
    {
        if (activationAbsMax.Length != weightAbsMax.Length)
            throw new ArgumentException("One activation and one weight maximum per input channel.");
        if (alpha is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(alpha));
        var s = new float[activationAbsMax.Length];
        for (int j = 0; j < s.Length; j++)
        {
            double a = Math.Max(activationAbsMax[j], 1e-5f), w = Math.Max(weightAbsMax[j], 1e-5f);
            s[j] = (float)(Math.Pow(a, alpha) / Math.Pow(w, 1 - alpha));
        }
        return s;
    }

    /// <summary>max|W[j, :]| for each row j of W[K, N] (input channel j).</summary>
    public static float[] WeightRowAbsMax(ReadOnlySpan<float> w, int k, int n)
    {
        var result = new float[k];
        for (int j = 0; j < k; j++)
            result[j] = MathF.Abs(TensorPrimitives.MaxMagnitude(w.Slice(j * n, n)));
        return result;
    }

    /// <summary>W'[j, :] = W[j, :] * s_j in place; the activation side divides by s_j (fold into the previous op).</summary>
    public static void ScaleWeightRows(Span<float> w, int k, int n, ReadOnlySpan<float> s)
    {
        for (int j = 0; j < k; j++)
            TensorPrimitives.Multiply(w.Slice(j * n, n), s[j], w.Slice(j * n, n));
    }
}
