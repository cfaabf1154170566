namespace Qaas.Quantization.Transforms;

/// <summary>
/// Folds an inference BatchNormalization into the preceding Conv (or Gemm with weights [out, ...]):
/// W' = W * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * gamma / sqrt(var + eps) + beta.
/// </summary>
public static class BatchNormFolding
{
    /// <param name="weights">Conv weights [outChannels, ...] (row-major); folded in place.</param>
    /// <param name="bias">Conv bias [outChannels], or empty when the Conv has none.</param>
    /// <returns>The folded bias [outChannels].</returns>
    public static float[] Fold(Span<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float epsilon)
    {
        int channels = gamma.Length;
        if (beta.Length != channels || mean.Length != channels || variance.Length != channels ||
            (!bias.IsEmpty && bias.Length != channels) || channels == 0 || weights.Length % channels != 0)
            throw new ArgumentException("BatchNorm parameters must all have one value per output channel.");
        int perChannel = weights.Length / channels;
        var folded = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double factor = gamma[c] / Math.Sqrt((double)variance[c] + epsilon);
            System.Numerics.Tensors.TensorPrimitives.Multiply(
                weights.Slice(c * perChannel, perChannel), (float)factor, weights.Slice(c * perChannel, perChannel));
            double b = bias.IsEmpty ? 0 : bias[c];
            folded[c] = (float)((b - mean[c]) * factor + beta[c]);
        }
        return folded;
    }
}
