namespace Qaas.Quantization.WeightOnly;

/// <summary>How much of a weight its quantized copy lost: ||W - W'|| / ||W||.</summary>
public static class WeightError
{
    public static double Relative(ReadOnlySpan<float> original, ReadOnlySpan<float> restored)
    {
        double err = 0, norm = 0;
        for (int i = 0; i < original.Length; i++)
        {
            double d = original[i] - restored[i];
            err += d * d;
            norm += (double)original[i] * original[i];
        }
        return norm > 0 ? Math.Sqrt(err / norm) : 0;
    }
}
