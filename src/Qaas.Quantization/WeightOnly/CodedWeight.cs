namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// W[K, N] as 4-bit (or narrower) codes into a small code book, with per-block (along K) scales and optional zero
/// levels: W'[k, n] = (CodeBook[Codes[k, n]] - Zeros[b, n]) * Scales[b, n], b = k / BlockSize.
/// </summary>
public sealed record CodedWeight(int K, int N, int BlockSize, byte[] Codes, float[] Scales, float[]? Zeros, float[] CodeBook)
{
    public int KBlocks => K / BlockSize;

    public float[] Dequantize()
    {
        var w = new float[K * N];
        for (int k = 0; k < K; k++)
        {
            int p = k / BlockSize * N;
            for (int n = 0; n < N; n++)
            {
                float level = CodeBook[Codes[k * N + n]];
                // The same two float operations, in the same order, as the emitted graph (Sub, then Mul).
                if (Zeros is not null) level -= Zeros[p + n];
                w[k * N + n] = level * Scales[p + n];
            }
        }
        return w;
    }
}
