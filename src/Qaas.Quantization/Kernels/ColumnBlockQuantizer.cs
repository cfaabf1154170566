using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Kernels;

/// <summary>
/// Round-to-nearest quantization of one K-block of 8 adjacent columns of a row-major W[K, N] into unsigned
/// bits-wide values, one column per Vector256 lane: the strided column walk becomes contiguous row loads and
/// needs no transpose of floats. Values come out already bit-packed (low bits first, as MatMulNBits and
/// <see cref="BitPacking"/> store them), laid out [byte][lane]; padding rows past K hold the zero point.
/// The arithmetic is exactly that of <see cref="QuantParamsCalculator.FromRange(float,float,int,int,bool)"/> and
/// <see cref="QuantizeLinear.Scalar"/>, so results are bit-identical to the scalar path.
/// The kernels skip tiering (AggressiveOptimization): a process packs a model once, and its Tier-0 code would run most of that pass.
/// </summary>
internal static unsafe class ColumnBlockQuantizer
{
    public const int Lanes = 8;

    /// <param name="src">Element [k0, n0] of W; row j of the block is at src + j * stride.</param>
    /// <param name="rows">Rows of W in the block (less than blockSize only in the last block).</param>
    /// <param name="packed">Receives blockSize * bits / 8 bytes per lane, byte i of lane t at packed[i * Lanes + t].</param>
    /// <returns>False when the block holds a NaN; nothing is written then.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Quantize(float* src, nint stride, int rows, int blockSize, int bits, bool symmetric, byte* packed,
        out Vector256<float> scale, out Vector256<float> zeroPoint)
    {
        var lo = Vector256.Load(src);
        var hi = lo;
        var nan = Vector256.IsNaN(lo);
        for (int j = 1; j < rows; j++)
        {
            var x = Vector256.Load(src + j * stride);
            lo = Vector256.MinNative(lo, x);
            hi = Vector256.MaxNative(hi, x);
            nan |= Vector256.IsNaN(x);
        }
        if (nan != Vector256<float>.Zero)
        {
            scale = zeroPoint = default;
            return false;
        }
        int qmax = (1 << bits) - 1;
        (scale, zeroPoint) = Parameters(lo, hi, qmax, symmetric);

        int perByte = 8 / bits, blob = blockSize * bits / 8;
        var top = Vector256.Create((float)qmax);
        if (bits == 4 && rows == blockSize)
        {
            QuantizeFullNibbles(src, stride, blob, scale, zeroPoint, top, packed);
            return true;
        }
        for (int i = 0; i < blob; i += 4)
        {
            var b0 = PackedByte(src, stride, rows, i * perByte, perByte, bits, scale, zeroPoint, top);
            var b1 = PackedByte(src, stride, rows, (i + 1) * perByte, perByte, bits, scale, zeroPoint, top);
            var b2 = PackedByte(src, stride, rows, (i + 2) * perByte, perByte, bits, scale, zeroPoint, top);
            var b3 = PackedByte(src, stride, rows, (i + 3) * perByte, perByte, bits, scale, zeroPoint, top);
            // Every value is in [0, 255], so the truncating narrows are exact.
            Vector256.Narrow(Vector256.Narrow(b0, b1), Vector256.Narrow(b2, b3)).Store(packed + i * Lanes);
        }
        return true;
    }

    /// <summary>Scales and zero points of 8 columns from their block minima and maxima (unsigned grid [0, qmax]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Scale, Vector256<float> ZeroPoint) Parameters(Vector256<float> lo, Vector256<float> hi,
        int qmax, bool symmetric)
    {
        // Like FromRange: widen the range to include 0 (the sign of a zero bound changes nothing below).
        lo = Vector256.MinNative(lo, Vector256<float>.Zero);
        hi = Vector256.MaxNative(hi, Vector256<float>.Zero);
        return symmetric ? Symmetric(lo, hi, qmax) : Asymmetric(lo, hi, qmax);
    }

    /// <summary>Bytes of one lane's packed block: copies column <paramref name="lane"/> of the [byte][lane] layout.</summary>
    public static void CopyLane(byte* packed, int lane, int blob, byte* destination)
    {
        for (int i = 0; i < blob; i++)
            destination[i] = packed[i * Lanes + lane];
    }

    /// <summary>
    /// Every lane's packed block to its own place (lane t at <paramref name="first"/> + t * <paramref name="laneStride"/>):
    /// the [byte][lane] to [lane][byte] transpose, 16 bytes of all 8 lanes per pair of AVX-512 VBMI byte permutes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void StoreLanes(byte* packed, int blob, int lanes, byte* first, nint laneStride)
    {
        if (Avx512Vbmi.IsSupported && blob % 16 == 0 && lanes == Lanes)
        {
            var lower = Vector512.Create(FirstFourLanes);
            var upper = Vector512.Create(LastFourLanes);
            for (int c = 0; c < blob; c += 16)
            {
                var a = Vector512.Load(packed + c * Lanes);
                var b = Vector512.Load(packed + c * Lanes + 64);
                var l0 = Avx512Vbmi.PermuteVar64x8x2(a, lower, b);
                var l1 = Avx512Vbmi.PermuteVar64x8x2(a, upper, b);
                l0.GetLower().GetLower().Store(first + c);
                l0.GetLower().GetUpper().Store(first + laneStride + c);
                l0.GetUpper().GetLower().Store(first + 2 * laneStride + c);
                l0.GetUpper().GetUpper().Store(first + 3 * laneStride + c);
                l1.GetLower().GetLower().Store(first + 4 * laneStride + c);
                l1.GetLower().GetUpper().Store(first + 5 * laneStride + c);
                l1.GetUpper().GetLower().Store(first + 6 * laneStride + c);
                l1.GetUpper().GetUpper().Store(first + 7 * laneStride + c);
            }
            return;
        }
        for (int t = 0; t < lanes; t++)
            CopyLane(packed, t, blob, first + t * laneStride);
    }

    // Permute indices over 128 bytes laid out [byte i][lane t] (i < 16): output byte 16 * t + i takes input 8 * i + t.
    private static readonly byte[] FirstFourLanes = LaneIndexes(0), LastFourLanes = LaneIndexes(4);

    private static byte[] LaneIndexes(int firstLane)
    {
        var indexes = new byte[64];
        for (int p = 0; p < 64; p++)
            indexes[p] = (byte)((p % 16) * Lanes + firstLane + p / 16);
        return indexes;
    }

    // The common case (4 bits, a whole block of rows): two rows per byte, no padding checks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeFullNibbles(float* src, nint stride, int blob, Vector256<float> scale, Vector256<float> zeroPoint,
        Vector256<float> top, byte* packed)
    {
        for (int i = 0; i < blob; i += 4)
        {
            float* row = src + 2 * i * stride;
            var b0 = Nibbles(row, stride, scale, zeroPoint, top);
            var b1 = Nibbles(row + 2 * stride, stride, scale, zeroPoint, top);
            var b2 = Nibbles(row + 4 * stride, stride, scale, zeroPoint, top);
            var b3 = Nibbles(row + 6 * stride, stride, scale, zeroPoint, top);
            Vector256.Narrow(Vector256.Narrow(b0, b1), Vector256.Narrow(b2, b3)).Store(packed + i * Lanes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Nibbles(float* row, nint stride, Vector256<float> scale, Vector256<float> zeroPoint,
        Vector256<float> top)
    {
        var low = Vector256.ConvertToInt32Native(Quantized(Vector256.Load(row), scale, zeroPoint, top));
        var high = Vector256.ConvertToInt32Native(Quantized(Vector256.Load(row + stride), scale, zeroPoint, top));
        return (low | (high << 4)).AsUInt32();
    }

    // q = clamp(round_half_even(x / scale) + zp, 0, qmax), as QuantizeLinear.Scalar (x is never NaN here).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Quantized(Vector256<float> x, Vector256<float> scale, Vector256<float> zeroPoint,
        Vector256<float> top) =>
        Vector256.MinNative(Vector256.MaxNative(Vector256.Round(x / scale) + zeroPoint, Vector256<float>.Zero), top);

    // perByte consecutive rows of every lane combined into one byte value, the first row in the low bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> PackedByte(float* src, nint stride, int rows, int row, int perByte, int bits,
        Vector256<float> scale, Vector256<float> zeroPoint, Vector256<float> top)
    {
        var sum = Vector256<float>.Zero;
        float weight = 1;
        for (int m = 0; m < perByte; m++, row++, weight *= 1 << bits)
        {
            // q = clamp(round_half_even(x / scale) + zp); sums of q * 2^(bits*m) stay below 256, so exact in float.
            var q = row < rows
                ? Vector256.MinNative(Vector256.MaxNative(Vector256.Round(Vector256.Load(src + row * stride) / scale) + zeroPoint,
                    Vector256<float>.Zero), top)
                : zeroPoint;
            sum += q * weight;
        }
        return Vector256.ConvertToInt32(sum).AsUInt32();
    }

    // scale = max|x| / steps with the zero point mid-range (FromRange, symmetric branch, qmin = 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Scale, Vector256<float> ZeroPoint) Symmetric(Vector256<float> lo, Vector256<float> hi, int qmax)
    {
        int zero = (qmax + 1) / 2;
        int steps = Math.Min(zero, qmax - zero);
        var absMax = Vector256.MaxNative(-lo, hi);
        return (Valid(absMax / Vector256.Create((float)steps)), Vector256.Create((float)zero));
    }

    // scale = (max - min) / (qmax - qmin) and zp = clamp(round_half_even(qmin - min / scale)), both in double like FromRange.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Scale, Vector256<float> ZeroPoint) Asymmetric(Vector256<float> lo, Vector256<float> hi, int qmax)
    {
        var (loLower, loUpper) = Vector256.Widen(lo);
        var (hiLower, hiUpper) = Vector256.Widen(hi);
        var range = Vector256.Create((double)qmax);
        var scale = Valid(Vector256.Narrow((hiLower - loLower) / range, (hiUpper - loUpper) / range));
        var (sLower, sUpper) = Vector256.Widen(scale);
        return (scale, Vector256.Narrow(ZeroPoint(loLower, sLower, range), ZeroPoint(loUpper, sUpper, range)));
    }

    private static Vector256<double> ZeroPoint(Vector256<double> min, Vector256<double> scale, Vector256<double> qmax) =>
        Vector256.MinNative(Vector256.MaxNative(Vector256.Round(Vector256<double>.Zero - min / scale), Vector256<double>.Zero), qmax);

    // A zero, denormal or infinite scale becomes 1, as in FromRange.
    private static Vector256<float> Valid(Vector256<float> scale)
    {
        var ok = Vector256.GreaterThanOrEqual(scale, Vector256.Create(QuantParamsCalculator.MinScale))
            & Vector256.LessThan(scale, Vector256.Create(float.PositiveInfinity));
        return Vector256.ConditionalSelect(ok, scale, Vector256<float>.One);
    }
}
