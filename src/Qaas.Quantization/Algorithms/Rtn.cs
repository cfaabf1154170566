using System.Buffers;
using System.Numerics.Tensors;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// Round-to-nearest weight quantization of W[K, N] (K = input features), per output column or per block of
/// BlockSize rows along K: each group gets its own range, scale and zero point, then q = round(w / s) + zp.
/// </summary>
public static class Rtn
{
    // Columns handled by one work item: small enough to stay in L1 while rows stream past.
    private const int ColumnChunk = 512;

    /// <param name="blockSize">0 (or >= k) for per-channel; otherwise the block length along K.</param>
    public static RtnResult Quantize(ReadOnlySpan<float> w, int k, int n, QuantType type, bool symmetric, int blockSize = 0,
        int maxDegreeOfParallelism = -1)
    {
        if (!type.IsInteger() || type.BitWidth() > 8)
            throw new ArgumentException($"RTN needs an integer type of at most 8 bits, not {type}.", nameof(type));
        return Quantize(w, k, n, type.QMin(), type.QMax(), symmetric, blockSize, maxDegreeOfParallelism);
    }

    /// <summary>RTN into an arbitrary integer range of at most 8 bits (e.g. unsigned 2-bit for MatMulNBits).</summary>
    public static unsafe RtnResult Quantize(ReadOnlySpan<float> w, int k, int n, int qmin, int qmax, bool symmetric,
        int blockSize = 0, int maxDegreeOfParallelism = -1)
    {
        if (k <= 0 || n <= 0 || w.Length != (long)k * n)
            throw new ArgumentException($"Weight has {w.Length} elements, expected {k}x{n}.", nameof(w));
        if (qmin < sbyte.MinValue || qmax > byte.MaxValue || (qmin < 0 && qmax > sbyte.MaxValue))
            throw new ArgumentException("Range does not fit one byte.");
        int block = blockSize <= 0 || blockSize >= k ? k : blockSize;
        int kBlocks = (k + block - 1) / block;
        var values = new byte[w.Length];
        var scales = new float[kBlocks * n];
        var zeroPoints = new int[kBlocks * n];
        int chunks = (n + ColumnChunk - 1) / ColumnChunk;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount,
        };
        int length = w.Length;
        fixed (float* pw = w)
        {
            float* wPtr = pw; // a span cannot be captured by the lambda
            Parallel.For(0, kBlocks * chunks, options, item =>
            {
                int b = item / chunks, c = item % chunks;
                int col = c * ColumnChunk, width = Math.Min(ColumnChunk, n - col);
                int k0 = b * block, k1 = Math.Min(k, k0 + block);
                var weights = new ReadOnlySpan<float>(wPtr, length);
                QuantizeTile(weights, n, k0, k1, col, width, qmin, qmax, symmetric,
                    values, scales.AsSpan(b * n + col, width), zeroPoints.AsSpan(b * n + col, width));
            });
        }
        return new RtnResult(qmin, qmax, qmin < 0, symmetric, k, n, block, values, scales, zeroPoints);
    }

    private static void QuantizeTile(ReadOnlySpan<float> w, int n, int k0, int k1, int col, int width, int qmin, int qmax,
        bool symmetric, byte[] values, Span<float> scales, Span<int> zeroPoints)
    {
        var pool = ArrayPool<float>.Shared;
        var mins = pool.Rent(width);
        var maxs = pool.Rent(width);
        var zpf = pool.Rent(width);
        try
        {
            var lo = mins.AsSpan(0, width);
            var hi = maxs.AsSpan(0, width);
            w.Slice(k0 * n + col, width).CopyTo(lo);
            w.Slice(k0 * n + col, width).CopyTo(hi);
            for (int r = k0 + 1; r < k1; r++)
            {
                var row = w.Slice(r * n + col, width);
                TensorPrimitives.Min(lo, row, lo);
                TensorPrimitives.Max(hi, row, hi);
            }
            QuantParamsCalculator.FromRanges(lo, hi, qmin, qmax, symmetric, scales, zeroPoints);
            var zp = zpf.AsSpan(0, width);
            for (int i = 0; i < width; i++)
                zp[i] = zeroPoints[i];
            for (int r = k0; r < k1; r++)
                QuantizeLinear.ToBytes(w.Slice(r * n + col, width), scales, zp, qmin, qmax, values.AsSpan(r * n + col, width));
        }
        finally
        {
            pool.Return(mins);
            pool.Return(maxs);
            pool.Return(zpf);
        }
    }
}
