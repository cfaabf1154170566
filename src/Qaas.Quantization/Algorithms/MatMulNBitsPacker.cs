using System.Runtime.Intrinsics;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// Packs W[K, N] into com.microsoft MatMulNBits inputs (unsigned values with zero points, blocks along K,
/// transposed to N-major) and unpacks them back.
/// </summary>
public static class MatMulNBitsPacker
{
    public static readonly int[] SupportedBlockSizes = [16, 32, 64, 128, 256];
    public static readonly int[] SupportedBits = [2, 4, 8];

    // Columns transposed per work item; keeps the strided reads of one row inside a few cache lines.
    private const int ColumnTile = 16;

    public static MatMulNBitsWeights Pack(ReadOnlySpan<float> w, int k, int n, int bits, int blockSize, bool symmetric,
        int maxDegreeOfParallelism = -1)
    {
        if (Array.IndexOf(SupportedBits, bits) < 0)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "MatMulNBits supports 2, 4 or 8 bits.");
        if (Array.IndexOf(SupportedBlockSizes, blockSize) < 0)
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "MatMulNBits supports block sizes 16..256 (powers of two).");
        if (k <= 0 || n <= 0 || w.Length != (long)k * n)
            throw new ArgumentException($"Weight has {w.Length} elements, expected {k}x{n}.", nameof(w));
        // The fused pass needs vector hardware; it declines NaN weights so that the reference path reports them.
        var fused = Vector256.IsHardwareAccelerated
            ? MatMulNBitsTilePacker.Pack(w, k, n, bits, blockSize, symmetric, maxDegreeOfParallelism)
            : null;
        return fused ?? PackViaRtn(w, k, n, bits, blockSize, symmetric, maxDegreeOfParallelism);
    }

    /// <summary>RTN into a [K, N] byte array, then the transposing pack: the reference the fused pass must equal.</summary>
    private static MatMulNBitsWeights PackViaRtn(ReadOnlySpan<float> w, int k, int n, int bits, int blockSize, bool symmetric,
        int maxDegreeOfParallelism = -1)
    {
        var rtn = Rtn.Quantize(w, k, n, 0, (1 << bits) - 1, symmetric, blockSize, maxDegreeOfParallelism);
        // Rtn collapses a block size >= K into one block; MatMulNBits keeps the declared size, so K pads up to it.
        return PackQuantized(rtn, bits, blockSize, maxDegreeOfParallelism);
    }

    /// <summary>Bytes a packed W[K, N] takes: values (K padded up to whole blocks), a float scale per block and column,
    /// and the packed zero points when asymmetric.</summary>
    public static long ByteCount(int k, int n, int bits, int blockSize, bool symmetric)
    {
        long kBlocks = (k + blockSize - 1) / blockSize;
        return n * kBlocks * (blockSize * bits / 8) + n * kBlocks * sizeof(float) + (symmetric ? 0 : n * ((kBlocks * bits + 7) / 8));
    }

    /// <summary>Packs an unsigned RTN result (values in [0, 2^bits)) whose blocks along K have length blockSize.</summary>
    public static MatMulNBitsWeights PackQuantized(RtnResult rtn, int bits, int blockSize, int maxDegreeOfParallelism = -1)
    {
        if (rtn.Signed || rtn.QMax >= 1 << bits)
            throw new ArgumentException($"MatMulNBits needs unsigned {bits}-bit values.", nameof(rtn));
        if (rtn.KBlocks != (rtn.K + blockSize - 1) / blockSize)
            throw new ArgumentException("The RTN blocks do not match the block size.", nameof(rtn));
        int k = rtn.K, n = rtn.N, kBlocks = rtn.KBlocks;
        int blob = blockSize * bits / 8;
        int zpBytes = (kBlocks * bits + 7) / 8;
        var packed = new byte[(long)n * kBlocks * blob];
        var scales = new float[n * kBlocks];
        var zeroPoints = new byte[n * zpBytes];
        int tiles = (n + ColumnTile - 1) / ColumnTile;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount,
        };
        Parallel.For(0, tiles, options, () => new byte[ColumnTile * Math.Max(blockSize, kBlocks)], (tile, _, column) =>
        {
            int n0 = tile * ColumnTile, width = Math.Min(ColumnTile, n - n0);
            for (int b = 0; b < kBlocks; b++)
            {
                int k0 = b * blockSize, count = Math.Min(blockSize, k - k0);
                // Gather the block of each column (rows are contiguous in W, columns are not).
                for (int j = 0; j < count; j++)
                {
                    var row = rtn.Values.AsSpan((k0 + j) * n + n0, width);
                    for (int t = 0; t < width; t++)
                        column[t * blockSize + j] = row[t];
                }
                for (int t = 0; t < width; t++)
                {
                    int col = n0 + t;
                    var values = column.AsSpan(t * blockSize, blockSize);
                    // Padding past K holds the zero point, i.e. represents 0.
                    values[count..].Fill((byte)rtn.ZeroPoints[b * n + col]);
                    BitPacking.Pack(values, bits, packed.AsSpan((col * kBlocks + b) * blob, blob));
                    scales[col * kBlocks + b] = rtn.Scales[b * n + col];
                }
            }
            for (int t = 0; t < width; t++)
            {
                int col = n0 + t;
                var zps = column.AsSpan(0, kBlocks);
                for (int b = 0; b < kBlocks; b++)
                    zps[b] = (byte)rtn.ZeroPoints[b * n + col];
                BitPacking.Pack(zps, bits, zeroPoints.AsSpan(col * zpBytes, zpBytes));
            }
            return column;
        }, _ => { });
        return new MatMulNBitsWeights(k, n, bits, blockSize, rtn.Symmetric, packed, scales, zeroPoints);
    }

    /// <summary>W'[K, N] = (q - zp) * scale, exactly as the operator dequantizes.</summary>
    public static float[] Dequantize(MatMulNBitsWeights m)
    {
        int k = m.K, n = m.N, kBlocks = m.KBlocks, blob = m.BlobSize, zpBytes = m.ZeroPointBytesPerColumn;
        var w = new float[k * n];
        var values = new byte[m.BlockSize];
        var zps = new byte[kBlocks];
        for (int col = 0; col < n; col++)
        {
            BitPacking.Unpack(m.ZeroPoints.AsSpan(col * zpBytes, zpBytes), m.Bits, zps);
            for (int b = 0; b < kBlocks; b++)
            {
                BitPacking.Unpack(m.B.AsSpan((col * kBlocks + b) * blob, blob), m.Bits, values);
                float scale = m.Scales[col * kBlocks + b];
                int count = Math.Min(m.BlockSize, k - b * m.BlockSize);
                for (int j = 0; j < count; j++)
                    w[(b * m.BlockSize + j) * n + col] = (values[j] - zps[b]) * scale;
            }
        }
        return w;
    }
}
