namespace Qaas.Quantization.Formats;

/// <summary>
/// NF4 from QLoRA (Dettmers et al. 2023): 16 quantiles of N(0,1) normalized to [-1, 1], with an exact zero.
/// Values are scaled by the absolute maximum of their block before lookup.
/// </summary>
public static class NormalFloat4
{
    public static ReadOnlySpan<float> CodeBook =>
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.2461123019456863f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    /// <summary>Index of the code nearest to a value already normalized to [-1, 1] (clamped otherwise).</summary>
    public static byte Encode(float normalized)
    {
        var book = CodeBook;
        if (float.IsNaN(normalized))
            return 7;
        int lo = 0, hi = book.Length - 1;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            if (book[mid] <= normalized) lo = mid; else hi = mid;
        }
        return (byte)(normalized - book[lo] <= book[hi] - normalized ? lo : hi);
    }

    public static float Decode(byte code) => CodeBook[code & 0xF];

    /// <summary>Block-wise absmax NF4: codes one per byte, absMax one per block (the last block may be partial).</summary>
    public static void QuantizeBlockwise(ReadOnlySpan<float> x, int blockSize, Span<byte> codes, Span<float> absMax)
    {
        int blocks = (x.Length + blockSize - 1) / blockSize;
        if (codes.Length < x.Length || absMax.Length < blocks)
            throw new ArgumentException("Destination too small.");
        for (int b = 0; b < blocks; b++)
        {
            var block = x.Slice(b * blockSize, Math.Min(blockSize, x.Length - b * blockSize));
            float m = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(block);
            m = MathF.Abs(m);
            absMax[b] = m;
            float inverse = m > 0 ? 1f / m : 0f;
            for (int i = 0; i < block.Length; i++)
                codes[b * blockSize + i] = Encode(block[i] * inverse);
        }
    }

    public static void DequantizeBlockwise(ReadOnlySpan<byte> codes, ReadOnlySpan<float> absMax, int blockSize, Span<float> x)
    {
        for (int i = 0; i < codes.Length; i++)
            x[i] = Decode(codes[i]) * absMax[i / blockSize];
    }
}
