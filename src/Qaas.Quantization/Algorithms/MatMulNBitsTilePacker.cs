using System.Runtime.Intrinsics;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// The fused MatMulNBits pack: one pass over W[K, N] that finds each (column, K-block) range, quantizes and
/// writes the packed blob, scale and zero point directly, with no intermediate [K, N] byte array.
/// Work items are tiles of columns, so each item owns whole output columns (no shared cache lines);
/// inside a tile, blocks go down K and each block is swept across the tile in 8-column vector groups, which
/// keeps the reads of a block row contiguous.
/// </summary>
internal static unsafe class MatMulNBitsTilePacker
{
    // 128 columns = 512 bytes of each row per block: long enough runs for the prefetcher, and enough tiles to share out.
    private const int TileColumns = 128;

    /// <returns>Null when W holds a NaN (the caller reports it through the reference path).</returns>
    public static MatMulNBitsWeights? Pack(ReadOnlySpan<float> w, int k, int n, int bits, int blockSize, bool symmetric,
        int maxDegreeOfParallelism)
    {
        int kBlocks = (k + blockSize - 1) / blockSize;
        int blob = blockSize * bits / 8;
        int zpBytes = (kBlocks * bits + 7) / 8;
        // Every byte of B and every scale is written below, so skip the zeroing; zero points are OR-ed in.
        var packed = GC.AllocateUninitializedArray<byte>(checked(n * kBlocks * blob));
        var scales = GC.AllocateUninitializedArray<float>(n * kBlocks);
        var zeroPoints = new byte[n * zpBytes];
        int tiles = (n + TileColumns - 1) / TileColumns;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount,
        };
        int failed = 0;
        fixed (float* pw = w)
        {
            float* wPtr = pw; // a span cannot be captured by the lambda
            Parallel.For(0, tiles, options, (tile, state) =>
            {
                var output = new Output(packed, scales, zeroPoints, kBlocks, blob, zpBytes, bits);
                int n0 = tile * TileColumns;
                if (!PackTile(wPtr, k, n, n0, Math.Min(TileColumns, n - n0), blockSize, bits, symmetric, output))
                {
                    Volatile.Write(ref failed, 1);
                    state.Stop();
                }
            });
        }
        return failed != 0 ? null : new MatMulNBitsWeights(k, n, bits, blockSize, symmetric, packed, scales, zeroPoints);
    }

    private static bool PackTile(float* w, int k, int n, int n0, int width, int blockSize, int bits, bool symmetric, Output output)
    {
        const int lanes = ColumnBlockQuantizer.Lanes;
        byte* groupBlob = stackalloc byte[output.Blob * lanes];
        float* laneScales = stackalloc float[lanes];
        int* laneZeroPoints = stackalloc int[lanes];
        // Columns past the last full vector group are copied here, zero-padded to a whole group.
        float[]? edge = width % lanes != 0 ? new float[blockSize * lanes] : null;
        for (int b = 0; b < output.KBlocks; b++)
        {
            int k0 = b * blockSize, rows = Math.Min(blockSize, k - k0);
            for (int g = 0; g < width; g += lanes)
            {
                int col = n0 + g, count = Math.Min(lanes, width - g);
                float* first = w + (long)k0 * n + col;
                bool ok;
                if (count == lanes)
                {
                    ok = ColumnBlockQuantizer.Quantize(first, n, rows, blockSize, bits, symmetric, groupBlob,
                        out var scale, out var zeroPoint);
                    scale.Store(laneScales);
                    Vector256.ConvertToInt32(zeroPoint).Store(laneZeroPoints);
                }
                else
                {
                    fixed (float* e = edge)
                    {
                        for (int j = 0; j < rows; j++)
                            new ReadOnlySpan<float>(first + (long)j * n, count).CopyTo(new Span<float>(e + j * lanes, lanes));
                        ok = ColumnBlockQuantizer.Quantize(e, lanes, rows, blockSize, bits, symmetric, groupBlob,
                            out var scale, out var zeroPoint);
                        scale.Store(laneScales);
                        Vector256.ConvertToInt32(zeroPoint).Store(laneZeroPoints);
                    }
                }
                if (!ok)
                    return false;
                output.Write(col, b, count, groupBlob, laneScales, laneZeroPoints);
            }
        }
        return true;
    }

    /// <summary>Where a vector group's results go in the MatMulNBits layout (B and scales n-major, zero points packed).</summary>
    private readonly record struct Output(byte[] B, float[] Scales, byte[] ZeroPoints, int KBlocks, int Blob, int ZpBytes, int Bits)
    {
        public void Write(int col, int block, int count, byte* groupBlob, float* scales, int* zeroPoints)
        {
            // bits divides 8, so a zero point never straddles a byte.
            int zpByte = block * Bits >> 3, zpShift = block * Bits & 7;
            fixed (byte* b = B)
            {
                for (int t = 0; t < count; t++)
                {
                    int c = col + t;
                    ColumnBlockQuantizer.CopyLane(groupBlob, t, Blob, b + ((long)c * KBlocks + block) * Blob);
                    Scales[c * KBlocks + block] = scales[t];
                    ZeroPoints[c * ZpBytes + zpByte] |= (byte)(zeroPoints[t] << zpShift);
                }
            }
        }
    }
}
