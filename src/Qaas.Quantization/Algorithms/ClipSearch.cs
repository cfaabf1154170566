using System.Numerics;
using System.Numerics.Tensors;
using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// Round-to-nearest with a searched scale: for each block of W[K, N] along K, try a grid of clipping ratios and keep
/// the scale whose rounded block has the least squared error (the clip search of AWQ, Lin et al. 2023, without the
/// activation-aware scaling), then, for symmetric blocks, refit the scale by least squares with the levels fixed while
/// that lowers the error. The grid contains the plain max|w| scale, so the error is never above plain RTN's.
/// Symmetric blocks use the full signed range [-2^(b-1), 2^(b-1) - 1] around the fixed zero point 2^(b-1): the scale's
/// sign is chosen so that the block's largest-magnitude weight lands on the -2^(b-1) side (one more level than
/// max|w| / (2^(b-1) - 1), as llama.cpp's Q4_0 does). Output: unsigned values in RTN's layout, ready for
/// <see cref="MatMulNBitsPacker.PackQuantized"/>. With row weights h (E[x_k^2] of the input channel that meets row k)
/// the error is sum h_k (w_k - q_k)^2, the output error of a block when its inputs are uncorrelated: AWQ's clip search
/// by output error, without the cross terms.
/// </summary>
public static class ClipSearch
{
    // Clipping ratios tried, as fractions of the block's extreme: 1.0 down to 0.6 in steps of 0.025.
    private const int Steps = 17;
    private const float Step = 0.025f;
    private const int RefitPasses = 2;

    // Column tiles per work item, so one item streams a few KiB of each row.
    private const int TilesPerItem = 8;

    /// <param name="rowWeights">h[k] per row of W (input channel), or null for plain squared error.</param>
    public static unsafe RtnResult Quantize(ReadOnlySpan<float> w, int k, int n, int bits, int blockSize, bool symmetric,
        int maxDegreeOfParallelism = -1, float[]? rowWeights = null)
    {
        if (k <= 0 || n <= 0 || w.Length != (long)k * n)
            throw new ArgumentException($"Weight has {w.Length} elements, expected {k}x{n}.", nameof(w));
        if (bits is < 2 or > 8)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Clip search quantizes to 2..8 bits.");
        if (blockSize < 2)
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "Block size must be at least 2.");
        if (!float.IsFinite(TensorPrimitives.MaxMagnitude(w)))
            throw new NonFiniteValueException("A weight holds NaN or infinite values; its block scales cannot be searched.", nameof(w));
        if (rowWeights is not null && (rowWeights.Length != k || !float.IsFinite(TensorPrimitives.Sum(rowWeights))))
            throw new ArgumentException($"Row weights must be {k} finite values.", nameof(rowWeights));
        int qmax = (1 << bits) - 1, kBlocks = (k + blockSize - 1) / blockSize;
        int lanes = Vector<float>.Count, tiles = (n + lanes - 1) / lanes, items = (tiles + TilesPerItem - 1) / TilesPerItem;
        var values = new byte[w.Length];
        var scales = new float[kBlocks * n];
        var zeroPoints = new int[kBlocks * n];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount,
        };
        int length = w.Length;
        fixed (float* pw = w)
        {
            float* wPtr = pw; // a span cannot be captured by the lambda
            Parallel.For(0, kBlocks * items, options, () => new float[blockSize * lanes], (item, _, tile) =>
            {
                var weights = new ReadOnlySpan<float>(wPtr, length);
                int b = item / items, first = item % items * TilesPerItem;
                for (int t = first; t < Math.Min(tiles, first + TilesPerItem); t++)
                    QuantizeTile(weights, k, n, b, blockSize, t * lanes, bits, symmetric, rowWeights, tile, values, scales, zeroPoints);
                return tile;
            }, _ => { });
        }
        return new RtnResult(0, qmax, false, symmetric, k, n, blockSize, values, scales, zeroPoints);
    }

    /// <summary>Block b of the Vector&lt;float&gt;.Count columns starting at col.</summary>
    private static void QuantizeTile(ReadOnlySpan<float> w, int k, int n, int b, int blockSize, int col, int bits, bool symmetric,
        float[]? rowWeights, float[] tile, byte[] values, float[] scales, int[] zeroPoints)
    {
        int qmax = (1 << bits) - 1, k0 = b * blockSize, rows = Math.Min(blockSize, k - k0);
        int width = Math.Min(Vector<float>.Count, n - col);
        Gather(w, n, k0, rows, col, width, tile);
        var h = rowWeights is null ? default : rowWeights.AsSpan(k0, rows);
        var (scale, zeroPoint) = symmetric ? SearchSymmetric(tile, rows, bits, h) : SearchAsymmetric(tile, rows, qmax, h);
        Emit(tile, rows, scale, zeroPoint, qmax, values, n, k0, col, width);
        for (int j = 0; j < width; j++)
        {
            scales[b * n + col + j] = scale[j];
            zeroPoints[b * n + col + j] = (int)zeroPoint[j];
        }
    }

    /// <summary>Copies rows k0.. of columns col.. into a [rows, lanes] tile; missing columns are zero.</summary>
    private static void Gather(ReadOnlySpan<float> w, int n, int k0, int rows, int col, int width, float[] tile)
    {
        int lanes = Vector<float>.Count;
        for (int r = 0; r < rows; r++)
        {
            var dst = tile.AsSpan(r * lanes, lanes);
            w.Slice((k0 + r) * n + col, width).CopyTo(dst);
            dst[width..].Clear();
        }
    }

    private static (Vector<float> Scale, Vector<float> ZeroPoint) SearchSymmetric(float[] tile, int rows, int bits, ReadOnlySpan<float> h)
    {
        int lanes = Vector<float>.Count;
        float negative = 1 << (bits - 1), positive = negative - 1;
        Vector<float> lo = Vector<float>.Zero, hi = Vector<float>.Zero;
        for (int r = 0; r < rows; r++)
        {
            var x = new Vector<float>(tile, r * lanes);
            lo = Vector.Min(lo, x);
            hi = Vector.Max(hi, x);
        }
        // The extreme weight e maps to -2^(b-1): scale = -e / 2^(b-1), times the clipping ratio.
        var extreme = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(hi, -lo), hi, lo);
        var empty = Vector.Equals(extreme, Vector<float>.Zero);
        var unit = Vector.ConditionalSelect(empty, Vector<float>.One, -extreme / negative);
        var zero = new Vector<float>(negative);
        // Ratio negative / positive is plain RTN's max|w| / (2^(b-1) - 1), mirrored.
        var best = Error(tile, rows, unit * (negative / positive), new(-negative), new(positive), h);
        var bestScale = unit * (negative / positive);
        for (int i = 0; i < Steps; i++)
        {
            var scale = unit * (1f - i * Step);
            var error = Error(tile, rows, scale, new(-negative), new(positive), h);
            var better = Vector.LessThan(error, best);
            best = Vector.ConditionalSelect(better, error, best);
            bestScale = Vector.ConditionalSelect(better, scale, bestScale);
        }
        // Refit: with the levels fixed, the least-squares scale is sum(w q) / sum(q^2); keep it where it lowers the error.
        for (int pass = 0; pass < RefitPasses; pass++)
        {
            var scale = Refit(tile, rows, bestScale, -negative, positive, h);
            var error = Error(tile, rows, scale, new(-negative), new(positive), h);
            var better = Vector.LessThan(error, best);
            best = Vector.ConditionalSelect(better, error, best);
            bestScale = Vector.ConditionalSelect(better, scale, bestScale);
        }
        // An all-zero block: every candidate is exact; scale 1 as QuantParamsCalculator gives.
        return (Vector.ConditionalSelect(empty, Vector<float>.One, bestScale), zero);
    }

    private static (Vector<float> Scale, Vector<float> ZeroPoint) SearchAsymmetric(float[] tile, int rows, int qmax, ReadOnlySpan<float> h)
    {
        int lanes = Vector<float>.Count;
        // The range always holds 0 so that 0 stays exact (as QuantParamsCalculator does).
        Vector<float> lo = Vector<float>.Zero, hi = Vector<float>.Zero;
        for (int r = 0; r < rows; r++)
        {
            var x = new Vector<float>(tile, r * lanes);
            lo = Vector.Min(lo, x);
            hi = Vector.Max(hi, x);
        }
        var q = new Vector<float>(qmax);
        Vector<float> best = new(float.PositiveInfinity), bestScale = Vector<float>.One, bestZero = Vector<float>.Zero;
        for (int i = 0; i < Steps; i++)
        {
            float ratio = 1f - i * Step;
            var range = (hi - lo) * ratio;
            var scale = Vector.ConditionalSelect(Vector.Equals(range, Vector<float>.Zero), Vector<float>.One, range / q);
            var zero = Vector.Clamp(Vector.Round(-(lo * ratio) / scale), Vector<float>.Zero, q);
            var error = Error(tile, rows, scale, -zero, q - zero, h);
            var better = Vector.LessThan(error, best);
            best = Vector.ConditionalSelect(better, error, best);
            bestScale = Vector.ConditionalSelect(better, scale, bestScale);
            bestZero = Vector.ConditionalSelect(better, zero, bestZero);
        }
        return (bestScale, bestZero);
    }

    /// <summary>The scale minimising sum h (s q - w)^2 for the levels q = clamp(round(w / scale)).</summary>
    private static Vector<float> Refit(float[] tile, int rows, Vector<float> scale, float lo, float hi, ReadOnlySpan<float> h)
    {
        int lanes = Vector<float>.Count;
        var inverse = Vector<float>.One / scale;
        Vector<float> wq = Vector<float>.Zero, qq = Vector<float>.Zero;
        for (int r = 0; r < rows; r++)
        {
            var x = new Vector<float>(tile, r * lanes);
            var q = Vector.Clamp(Vector.Round(x * inverse), new Vector<float>(lo), new Vector<float>(hi));
            var hq = h.IsEmpty ? q : q * h[r];
            wq += x * hq;
            qq += q * hq;
        }
        return Vector.ConditionalSelect(Vector.Equals(qq, Vector<float>.Zero), scale, wq / qq);
    }

    /// <summary>Sum over the block of h (s * clamp(round(w / s), lo, hi) - w)^2, per column (h = 1 when empty); lo and hi
    /// are relative to the zero point.</summary>
    private static Vector<float> Error(float[] tile, int rows, Vector<float> scale, Vector<float> lo, Vector<float> hi,
        ReadOnlySpan<float> h)
    {
        int lanes = Vector<float>.Count;
        var inverse = Vector<float>.One / scale;
        var sum = Vector<float>.Zero;
        for (int r = 0; r < rows; r++)
        {
            var x = new Vector<float>(tile, r * lanes);
            var d = Vector.Clamp(Vector.Round(x * inverse), lo, hi) * scale - x;
            sum += h.IsEmpty ? d * d : d * d * h[r];
        }
        return sum;
    }

    private static void Emit(float[] tile, int rows, Vector<float> scale, Vector<float> zero, int qmax, byte[] values,
        int n, int k0, int col, int width)
    {
        int lanes = Vector<float>.Count;
        var inverse = Vector<float>.One / scale;
        var top = new Vector<float>(qmax);
        for (int r = 0; r < rows; r++)
        {
            var q = Vector.Clamp(Vector.Round(new Vector<float>(tile, r * lanes) * inverse) + zero, Vector<float>.Zero, top);
            var row = values.AsSpan((k0 + r) * n + col, width);
            for (int j = 0; j < width; j++)
                row[j] = (byte)q[j];
        }
    }
}
