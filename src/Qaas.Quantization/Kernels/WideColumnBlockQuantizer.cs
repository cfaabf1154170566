using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Qaas.Quantization.Kernels;

/// <summary>
/// <see cref="ColumnBlockQuantizer"/>'s 4-bit case on 16 columns per Vector512 (AVX-512 with VBMI), for whole blocks
/// across many columns at once: half the instructions per weight, and reads that run along rows. Scales and zero points come from <see cref="ColumnBlockQuantizer.Parameters"/>,
/// the quantization is the same x / scale, round half to even, + zero point, clamp; so results are bit-identical.
/// The packed bytes leave in [byte][lane] order and are transposed to each column's blob by byte permutes.
/// </summary>
internal static unsafe class WideColumnBlockQuantizer
{
    public const int Lanes = 16;

    public static bool IsSupported => Avx512Vbmi.IsSupported && Vector512.IsHardwareAccelerated;

    // vpermt2b indices. Stage 1 takes 8 rows of bytes x 16 lanes (128 bytes, byte i of lane t at 16i + t) to
    // [lane][byte] for lanes 0-7 (Low) or 8-15 (High), 8 bytes each; stage 2 joins bytes 0-7 and 8-15 of 4 lanes.
    private static readonly byte[] LowLanes = Indexes((p, _) => p % 8 * 16 + p / 8);
    private static readonly byte[] HighLanes = Indexes((p, _) => p % 8 * 16 + 8 + p / 8);
    private static readonly byte[] FirstFour = Indexes((p, _) => (p % 16 < 8 ? 0 : 64) + p / 16 * 8 + p % 8);
    private static readonly byte[] LastFour = Indexes((p, _) => (p % 16 < 8 ? 0 : 64) + 32 + p / 16 * 8 + p % 8);

    /// <summary>Scratch for <see cref="QuantizeRows"/> over up to <paramref name="columns"/> columns and one block.</summary>
    public sealed class Buffers(int columns, int blockSize)
    {
        public readonly float[] Low = new float[columns], High = new float[columns], Scale = new float[columns], ZeroPoint = new float[columns];
        public readonly int[] ZeroPoints = new int[columns];
        // Packed bytes per 16-column group, [group][byte][lane].
        public readonly byte[] Packed = new byte[columns * blockSize / 2];
    }

    /// <summary>
    /// One whole block (blockSize rows) of <paramref name="columns"/> columns (a multiple of 16) into 4-bit blobs.
    /// Every pass walks whole rows of W: row-major weights with a power-of-two width put a block's rows 4 KiB apart,
    /// so a column-group-at-a-time walk keeps evicting its own lines from the same L1 set.
    /// </summary>
    /// <param name="src">Element [k0, n0] of W; row j of the block at src + j * stride.</param>
    /// <param name="first">Blob destination of column n0; column n0 + t's at first + t * columnBytes.</param>
    /// <returns>False when the block holds a NaN (nothing useful is written then).</returns>
    public static bool QuantizeRows(float* src, nint stride, int columns, int blockSize, bool symmetric, byte* first,
        nint columnBytes, Buffers buffers)
    {
        fixed (float* low = buffers.Low, high = buffers.High, scales = buffers.Scale, zeroPoints = buffers.ZeroPoint)
        fixed (int* intZeroPoints = buffers.ZeroPoints)
        fixed (byte* packed = buffers.Packed)
        {
            if (!Ranges(src, stride, columns, blockSize, low, high))
                return false;
            for (int g = 0; g < columns; g += 8)
            {
                var (scale, zeroPoint) = ColumnBlockQuantizer.Parameters(Vector256.Load(low + g), Vector256.Load(high + g), 15, symmetric);
                scale.Store(scales + g);
                zeroPoint.Store(zeroPoints + g);
                Vector256.ConvertToInt32Native(zeroPoint).Store(intZeroPoints + g);
            }
            int blob = blockSize / 2;
            var top = Vector512.Create(15f);
            for (int i = 0; i < blob; i++)
            {
                float* even = src + 2 * i * stride, odd = even + stride;
                for (int g = 0; g < columns; g += Lanes)
                {
                    var scale = Vector512.Load(scales + g);
                    var zeroPoint = Vector512.Load(zeroPoints + g);
                    var lowNibble = Vector512.ConvertToInt32Native(Quantized(Vector512.Load(even + g), scale, zeroPoint, top));
                    var highNibble = Vector512.ConvertToInt32Native(Quantized(Vector512.Load(odd + g), scale, zeroPoint, top));
                    // Values are below 256: the truncating narrow to bytes is exact.
                    Avx512F.ConvertToVector128Byte(lowNibble | (highNibble << 4)).Store(packed + (nint)g * blob + i * Lanes);
                }
            }
            for (int g = 0; g < columns; g += Lanes)
                Transpose(packed + (nint)g * blob, blob, first + g * columnBytes, columnBytes);
        }
        return true;
    }

    private static bool Ranges(float* src, nint stride, int columns, int rows, float* low, float* high)
    {
        var nan = Vector512<float>.Zero;
        for (int g = 0; g < columns; g += Lanes)
        {
            var x = Vector512.Load(src + g);
            x.Store(low + g);
            x.Store(high + g);
            nan |= ~Vector512.Equals(x, x);
        }
        for (int j = 1; j < rows; j++)
        {
            float* row = src + j * stride;
            for (int g = 0; g < columns; g += Lanes)
            {
                var x = Vector512.Load(row + g);
                Vector512.MinNative(Vector512.Load(low + g), x).Store(low + g);
                Vector512.MaxNative(Vector512.Load(high + g), x).Store(high + g);
                nan |= ~Vector512.Equals(x, x);
            }
        }
        return nan == Vector512<float>.Zero;
    }

    // One group's [byte][lane] bytes to each lane's blob, 16 bytes of all 16 lanes per round.
    private static void Transpose(byte* packed, int blob, byte* first, nint columnBytes)
    {
        var low = Vector512.Create(LowLanes);
        var high = Vector512.Create(HighLanes);
        var firstFour = Vector512.Create(FirstFour);
        var lastFour = Vector512.Create(LastFour);
        for (int c = 0; c < blob; c += 16)
        {
            byte* bytes = packed + c * Lanes;
            var r0 = Vector512.Load(bytes);        // bytes c .. c+3 of every lane
            var r1 = Vector512.Load(bytes + 64);   // c+4 .. c+7
            var r2 = Vector512.Load(bytes + 128);
            var r3 = Vector512.Load(bytes + 192);
            var a0 = Avx512Vbmi.PermuteVar64x8x2(r0, low, r1);   // lanes 0-7, bytes 0-7
            var a1 = Avx512Vbmi.PermuteVar64x8x2(r0, high, r1);  // lanes 8-15, bytes 0-7
            var b0 = Avx512Vbmi.PermuteVar64x8x2(r2, low, r3);   // lanes 0-7, bytes 8-15
            var b1 = Avx512Vbmi.PermuteVar64x8x2(r2, high, r3);  // lanes 8-15, bytes 8-15
            Store(Avx512Vbmi.PermuteVar64x8x2(a0, firstFour, b0), first + c, columnBytes);
            Store(Avx512Vbmi.PermuteVar64x8x2(a0, lastFour, b0), first + 4 * columnBytes + c, columnBytes);
            Store(Avx512Vbmi.PermuteVar64x8x2(a1, firstFour, b1), first + 8 * columnBytes + c, columnBytes);
            Store(Avx512Vbmi.PermuteVar64x8x2(a1, lastFour, b1), first + 12 * columnBytes + c, columnBytes);
        }
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

    private static byte[] Indexes(Func<int, int, int> source)
    {
        var indexes = new byte[64];
        for (int p = 0; p < 64; p++)
            indexes[p] = (byte)source(p, 0);
        return indexes;
    }
}
