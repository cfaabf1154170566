using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// A weight matrix W[K, N] (MatMul layout) after round-to-nearest quantization.
/// Values are [K, N], one per byte (two's complement when the type is signed);
/// Scales and ZeroPoints are [KBlocks, N] (KBlocks = 1 for per-channel), which is also the shape ONNX
/// DequantizeLinear expects for blocked quantization along axis 0, or the [N] vector for per-channel on axis 1.
/// </summary>
public sealed record RtnResult(
    int QMin,
    int QMax,
    bool Signed,
    bool Symmetric,
    int K,
    int N,
    int BlockSize,
    byte[] Values,
    float[] Scales,
    int[] ZeroPoints)
{
    public int KBlocks => (K + BlockSize - 1) / BlockSize;
    public bool PerChannel => BlockSize >= K;

    public float Scale(int k, int n) => Scales[k / BlockSize * N + n];
    public int ZeroPoint(int k, int n) => ZeroPoints[k / BlockSize * N + n];
    public int Value(int k, int n) => Signed ? (sbyte)Values[k * N + n] : Values[k * N + n];

    /// <summary>W'[K, N] = (q - zp) * scale.</summary>
    public float[] Dequantize()
    {
        var w = new float[K * N];
        var row = new float[N];
        for (int k = 0; k < K; k++)
        {
            int p = k / BlockSize * N;
            var scales = Scales.AsSpan(p, N);
            for (int n = 0; n < N; n++)
                row[n] = Value(k, n) - ZeroPoints[p + n];
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, scales, w.AsSpan(k * N, N));
        }
        return w;
    }

    /// <summary>The same parameters as ONNX QuantizeLinear/DequantizeLinear inputs for the weight of type <paramref name="type"/>.</summary>
    public TensorQuantParams ToTensorParams(QuantType type) => PerChannel
        ? new TensorQuantParams(type, Granularity.PerChannel, 1, 0, Scales, ZeroPoints, [N])
        : new TensorQuantParams(type, Granularity.PerBlock, 0, BlockSize, Scales, ZeroPoints, [KBlocks, N]);
}
