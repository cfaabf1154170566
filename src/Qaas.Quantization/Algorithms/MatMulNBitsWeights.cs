namespace Qaas.Quantization.Algorithms;

/// <summary>
/// The three initializers of a com.microsoft MatMulNBits node for weight W[K, N]:
/// B uint8 [N, KBlocks, BlockSize * Bits / 8] (column n of W, block by block, low bits first),
/// Scales float [N * KBlocks] (n-major), ZeroPoints uint8 [N * ceil(KBlocks * Bits / 8)] (packed like B).
/// With <see cref="Symmetric"/> every zero point is 2^(Bits-1), the operator's default, so the
/// zero-point input may be omitted.
/// </summary>
public sealed record MatMulNBitsWeights(
    int K,
    int N,
    int Bits,
    int BlockSize,
    bool Symmetric,
    byte[] B,
    float[] Scales,
    byte[] ZeroPoints)
{
    public int KBlocks => (K + BlockSize - 1) / BlockSize;
    public int BlobSize => BlockSize * Bits / 8;
    public int ZeroPointBytesPerColumn => (KBlocks * Bits + 7) / 8;

    /// <summary>ONNX shape of B.</summary>
    public int[] BShape => [N, KBlocks, BlobSize];
}
