using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Qaas.Quantization.Kernels;

/// <summary>
/// <see cref="ColumnBlockQuantizer"/>'s 4-bit case on 16 columns per Vector512 (AVX-512 with VBMI), for whole blocks
/// of a multiple of 32 rows. Scales and zero points come from <see cref="ColumnBlockQuantizer.Parameters"/>, the
/// quantization is the same x / scale, round half to even, + zero point, clamp; so results are bit-identical.
/// Each 16-column group is finished before the next: its range, its parameters, then its rows quantized into
/// registers as [byte][lane] and transposed to each column's blob by byte permutes, so only the source rows and the
/// blobs touch memory. The kernels skip tiering (AggressiveOptimization): a process packs a model once, and its
/// Tier-0 code would run most of that pass.
/// </summary>
internal static unsafe class WideColumnBlockQuantizer
{
    public const int Lanes = 16;

    public static bool IsSupported => Avx512Vbmi.IsSupported && Vector512.IsHardwareAccelerated;

    // vpermt2b indices. Stage 1 takes 8 rows of bytes x 16 lanes (128 bytes, byte i of lane t at 16i + t) to
    // [lane][byte] for lanes 0-7 (Low) or 8-15 (High), 8 bytes each; stage 2 joins bytes 0-7 and 8-15 of 4 lanes.
    private static readonly byte[] LowLanes = Indexes(p => p % 8 * 16 + p / 8);
    private static readonly byte[] HighLanes = Indexes(p => p % 8 * 16 + 8 + p / 8);
    private static readonly byte[] FirstFour = Indexes(p => (p % 16 < 8 ? 0 : 64) + p / 16 * 8 + p % 8);
    private static readonly byte[] LastFour = Indexes(p => (p % 16 < 8 ? 0 : 64) + 32 + p / 16 * 8 + p % 8);

    /// <summary>
    /// One whole block (blockSize rows, a multiple of 32) of <paramref name="columns"/> columns (a multiple of 16)
    /// into 4-bit blobs, with each column's scale and zero point.
    /// </summary>
    /// <param name="src">Element [k0, n0] of W; row j of the block at src + j * stride.</param>
    /// <param name="first">Blob destination of column n0; column n0 + t's at first + t * columnBytes.</param>
    /// <returns>False when the block holds a NaN (nothing useful is written then).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool QuantizeBlock(float* src, nint stride, int columns, int blockSize, bool symmetric, byte* first,
        nint columnBytes, float* scales, int* zeroPoints)
    {
        var top = Vector512.Create(15f);
        var low = Vector512.Create(LowLanes);
        var high = Vector512.Create(HighLanes);
        var firstFour = Vector512.Create(FirstFour);
        var lastFour = Vector512.Create(LastFour);
        for (int g = 0; g < columns; g += Lanes)
        {
            float* column = src + g;
            if (!Range(column, stride, blockSize, out var lo, out var hi))
                return false;
            var (scaleLower, zeroLower) = ColumnBlockQuantizer.Parameters(lo.GetLower(), hi.GetLower(), 15, symmetric);
            var (scaleUpper, zeroUpper) = ColumnBlockQuantizer.Parameters(lo.GetUpper(), hi.GetUpper(), 15, symmetric);
            var scale = Vector512.Create(scaleLower, scaleUpper);
            var zeroPoint = Vector512.Create(zeroLower, zeroUpper);
            scale.Store(scales + g);
            Vector512.ConvertToInt32Native(zeroPoint).Store(zeroPoints + g);
            byte* blobs = first + g * columnBytes;
            // 16 bytes of every lane (32 rows) per round; each register holds four row pairs.
            for (int c = 0; c < blockSize / 2; c += 16)
            {
                float* rows = column + 2 * c * stride;
                var r0 = RowPairs(rows, stride, scale, zeroPoint, top);
                var r1 = RowPairs(rows + 8 * stride, stride, scale, zeroPoint, top);
                var r2 = RowPairs(rows + 16 * stride, stride, scale, zeroPoint, top);
                var r3 = RowPairs(rows + 24 * stride, stride, scale, zeroPoint, top);
                var a0 = Avx512Vbmi.PermuteVar64x8x2(r0, low, r1);   // lanes 0-7, bytes 0-7
                var a1 = Avx512Vbmi.PermuteVar64x8x2(r0, high, r1);  // lanes 8-15, bytes 0-7
                var b0 = Avx512Vbmi.PermuteVar64x8x2(r2, low, r3);   // lanes 0-7, bytes 8-15
                var b1 = Avx512Vbmi.PermuteVar64x8x2(r2, high, r3);  // lanes 8-15, bytes 8-15
                Store(Avx512Vbmi.PermuteVar64x8x2(a0, firstFour, b0), blobs + c, columnBytes);
                Store(Avx512Vbmi.PermuteVar64x8x2(a0, lastFour, b0), blobs + 4 * columnBytes + c, columnBytes);
                Store(Avx512Vbmi.PermuteVar64x8x2(a1, firstFour, b1), blobs + 8 * columnBytes + c, columnBytes);
                Store(Avx512Vbmi.PermuteVar64x8x2(a1, lastFour, b1), blobs + 12 * columnBytes + c, columnBytes);
            }
        }
        return true;
    }

    // Minimum and maximum of 16 columns down the block, in two chains (even and odd rows) to halve the dependent
    // latency; false when a NaN is met.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Range(float* column, nint stride, int rows, out Vector512<float> lo, out Vector512<float> hi)
    {
        lo = Vector512.Load(column);
        hi = lo;
        var oddLo = Vector512.Load(column + stride);
        var oddHi = oddLo;
        var ordered = Vector512.Equals(lo, lo) & Vector512.Equals(oddLo, oddLo);
        for (int j = 2; j < rows; j += 2)
        {
            var even = Vector512.Load(column + j * stride);
            var odd = Vector512.Load(column + (j + 1) * stride);
            lo = Vector512.MinNative(lo, even);
            hi = Vector512.MaxNative(hi, even);
            oddLo = Vector512.MinNative(oddLo, odd);
            oddHi = Vector512.MaxNative(oddHi, odd);
            ordered &= Vector512.Equals(even, even) & Vector512.Equals(odd, odd);
        }
        lo = Vector512.MinNative(lo, oddLo);
        hi = Vector512.MaxNative(hi, oddHi);
        // An integer compare: the all-ones pattern is a NaN as float.
        return ordered.AsInt32() == Vector512<int>.AllBitsSet;
    }

    // Four row pairs (8 rows from rows) of 16 lanes as packed bytes, [pair][lane].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> RowPairs(float* rows, nint stride, Vector512<float> scale, Vector512<float> zeroPoint,
        Vector512<float> top) =>
        Vector512.Create(
            Vector256.Create(RowPair(rows, stride, scale, zeroPoint, top), RowPair(rows + 2 * stride, stride, scale, zeroPoint, top)),
            Vector256.Create(RowPair(rows + 4 * stride, stride, scale, zeroPoint, top), RowPair(rows + 6 * stride, stride, scale, zeroPoint, top)));

    // Rows 2i and 2i + 1 as the low and high nibbles of 16 bytes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> RowPair(float* even, nint stride, Vector512<float> scale, Vector512<float> zeroPoint,
        Vector512<float> top)
    {
        var lowNibble = Vector512.ConvertToInt32Native(Quantized(Vector512.Load(even), scale, zeroPoint, top));
        var highNibble = Vector512.ConvertToInt32Native(Quantized(Vector512.Load(even + stride), scale, zeroPoint, top));
        // Values are below 256: the truncating narrow to bytes is exact.
        return Avx512F.ConvertToVector128Byte(lowNibble | (highNibble << 4));
    }

    // q = clamp(round_half_even(x / scale) + zp, 0, 15), as QuantizeLinear.Scalar (x is never NaN here).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quantized(Vector512<float> x, Vector512<float> scale, Vector512<float> zeroPoint,
        Vector512<float> top) =>
        Vector512.MinNative(Vector512.MaxNative(Vector512.Round(x / scale) + zeroPoint, Vector512<float>.Zero), top);

    // Four lanes' 16 bytes each, to four destinations laneStride apart.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<byte> lanes, byte* destination, nint laneStride)
    {
        lanes.GetLower().GetLower().Store(destination);
        lanes.GetLower().GetUpper().Store(destination + laneStride);
        lanes.GetUpper().GetLower().Store(destination + 2 * laneStride);
        lanes.GetUpper().GetUpper().Store(destination + 3 * laneStride);
    }

    private static byte[] Indexes(Func<int, int> source)
    {
        var indexes = new byte[64];
        for (int p = 0; p < 64; p++)
            indexes[p] = (byte)source(p);
        return indexes;
    }
}
