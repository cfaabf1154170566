using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// The fused MatMulNBits pack: one pass over W[K, N] that finds each (column, K-block) range, quantizes and
/// writes the packed blob, scale and zero point directly, with no intermediate [K, N] byte array.
/// 4-bit whole blocks take the 16-column AVX-512 kernel, one work item per panel of columns down K (K split only when
/// there are too few panels for the cores); other widths take the 8-column kernel over strips of whole rows, and so
/// do a short last block and edge columns.
/// </summary>
internal static unsafe class MatMulNBitsTilePacker
{
    // Enough blocks per narrow strip that a column's blobs fill a 64-byte line, so items rarely share cache lines.
    private const int StripBytes = 64;

    // Columns quantized together inside a strip by the 8-column path (a multiple of the vector width).
    private const int ChunkColumns = 256;

    // Columns of one wide work item: 1 KiB of each row per block, and 256 lines of B (2 KiB apart in B) that a block
    // writes 16 bytes of: few enough to stay in L2 against the associativity that stride allows.
    private const int PanelColumns = 256;

    // Blocks whose scales fill a 64-byte line of one column's Scales.
    private const int ParameterBlocks = 16;

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
        int degree = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;
        var (stripBlocks, partColumns) = UsesWideKernel(k, bits, blockSize)
            ? WideItems(kBlocks, n, degree)
            : NarrowItems(kBlocks, n, bits, blob, degree);
        int strips = (kBlocks + stripBlocks - 1) / stripBlocks;
        int columnParts = (n + partColumns - 1) / partColumns;
        var options = new ParallelOptions { MaxDegreeOfParallelism = degree };
        int failed = 0;
        fixed (float* pw = w)
        {
            float* wPtr = pw; // a span cannot be captured by the lambda
            Parallel.For(0, strips * columnParts, options, (item, state) =>
            {
                var output = new Output(packed, scales, zeroPoints, kBlocks, blob, zpBytes, bits);
                int strip = item / columnParts, part = item % columnParts;
                int b0 = strip * stripBlocks, b1 = Math.Min(kBlocks, b0 + stripBlocks);
                int n0 = part * partColumns, width = Math.Min(partColumns, n - n0);
                if (!PackStrip(wPtr, k, n, b0, b1, n0, width, blockSize, bits, symmetric, output))
                {
                    Volatile.Write(ref failed, 1);
                    state.Stop();
                }
            });
        }
        return failed != 0 ? null : new MatMulNBitsWeights(k, n, bits, blockSize, symmetric, packed, scales, zeroPoints);
    }

    private static bool UsesWideKernel(int k, int bits, int blockSize) =>
        bits == 4 && blockSize % 32 == 0 && k >= blockSize && WideColumnBlockQuantizer.IsSupported;

    // The 16-column kernel's items: panels of PanelColumns columns down the whole of K, whose B, Scales and ZeroPoints
    // are each one contiguous run that the kernel writes in place (a panel's lines of B stay in L2 until all of their
    // blocks are in). K is split into strips of whole zero-point bytes only when there are too few panels for the cores.
    private static (int StripBlocks, int PartColumns) WideItems(int kBlocks, int n, int degree)
    {
        int partColumns = Math.Min(PanelColumns, (n + WideColumnBlockQuantizer.Lanes - 1) / WideColumnBlockQuantizer.Lanes * WideColumnBlockQuantizer.Lanes);
        int parts = (n + partColumns - 1) / partColumns;
        int strips = Math.Clamp((4 * degree + parts - 1) / parts, 1, (kBlocks + 1) / 2);
        int stripBlocks = ((kBlocks + strips - 1) / strips + 1) / 2 * 2;
        return (stripBlocks, partColumns);
    }

    // The 8-column kernel's items: strips of whole rows (reads stream along rows instead of hopping a page per row as
    // narrow column tiles do), split by columns only when K is short.
    private static (int StripBlocks, int PartColumns) NarrowItems(int kBlocks, int n, int bits, int blob, int degree)
    {
        // Blocks per strip: a whole number of zero-point bytes (8 / bits blocks each, so no byte is shared by two
        // items) and at least a line of B per column; both are powers of two, so the larger is a multiple of the other.
        int stripBlocks = Math.Max(8 / bits, Math.Max(1, StripBytes / blob));
        int strips = (kBlocks + stripBlocks - 1) / stripBlocks;
        const int group = ColumnBlockQuantizer.Lanes;
        int groups = (n + group - 1) / group;
        int columnParts = Math.Min(groups, Math.Max(1, (4 * degree + strips - 1) / strips));
        return (stripBlocks, (groups + columnParts - 1) / columnParts * group);
    }

    private static bool PackStrip(float* w, int k, int n, int b0, int b1, int n0, int width, int blockSize, int bits,
        bool symmetric, Output output)
    {
        // Blocks holding blockSize rows (all but a short last block) over whole 16-column groups take the wide path.
        int fullEnd = Math.Min(b1, k / blockSize);
        int wideColumns = UsesWideKernel(k, bits, blockSize) && fullEnd > b0
            ? width / WideColumnBlockQuantizer.Lanes * WideColumnBlockQuantizer.Lanes
            : 0;
        if (wideColumns == 0)
            return PackNarrow(w, k, n, b0, b1, n0, width, blockSize, bits, symmetric, output);
        return PackWide(w, k, n, b0, fullEnd, n0, wideColumns, blockSize, symmetric, output)
            && PackNarrow(w, k, n, b0, fullEnd, n0 + wideColumns, width - wideColumns, blockSize, bits, symmetric, output)
            && PackNarrow(w, k, n, fullEnd, b1, n0, width, blockSize, bits, symmetric, output);
    }

    // Whole 4-bit blocks of a panel, 16 columns per vector, block after block; blobs go straight into B. Scales and
    // zero points are gathered for ParameterBlocks blocks ([block][column]) and then written column by column, a
    // line of Scales at a time, instead of one scattered store per column and block.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PackWide(float* w, int k, int n, int b0, int b1, int n0, int width, int blockSize, bool symmetric,
        Output output)
    {
        var scales = new float[ParameterBlocks * width];
        var zeroPoints = new int[ParameterBlocks * width];
        int kBlocks = output.KBlocks, blob = output.Blob, zpBytes = output.ZpBytes;
        fixed (byte* packed = output.B, packedZeroPoints = output.ZeroPoints)
        fixed (float* outScales = output.Scales, blockScales = scales)
        fixed (int* blockZeroPoints = zeroPoints)
        {
            for (int first = b0; first < b1; first += ParameterBlocks)
            {
                int blocks = Math.Min(ParameterBlocks, b1 - first);
                for (int i = 0; i < blocks; i++)
                {
                    int b = first + i;
                    if (!WideColumnBlockQuantizer.QuantizeBlock(w + (long)b * blockSize * n + n0, n, width, blockSize, symmetric,
                            packed + ((long)n0 * kBlocks + b) * blob, (nint)kBlocks * blob,
                            blockScales + i * width, blockZeroPoints + i * width))
                        return false;
                }
                for (int t = 0; t < width; t++)
                {
                    float* scale = outScales + (long)(n0 + t) * kBlocks + first;
                    byte* zeroPoint = packedZeroPoints + (long)(n0 + t) * zpBytes;
                    for (int i = 0; i < blocks; i++)
                    {
                        int b = first + i;
                        scale[i] = blockScales[i * width + t];
                        // 4 bits: two blocks per zero-point byte, low nibble first.
                        zeroPoint[b >> 1] |= (byte)(blockZeroPoints[i * width + t] << (b & 1) * 4);
                    }
                }
            }
        }
        return true;
    }

    // Any bit width and block length, 8 columns per vector; columns past the last full group are zero-padded.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool PackNarrow(float* w, int k, int n, int b0, int b1, int n0, int width, int blockSize, int bits,
        bool symmetric, Output output)
    {
        if (b1 <= b0 || width <= 0)
            return true;
        const int lanes = ColumnBlockQuantizer.Lanes;
        byte* groupBlob = stackalloc byte[output.Blob * lanes];
        float* laneScales = stackalloc float[lanes];
        int* laneZeroPoints = stackalloc int[lanes];
        // A chunk's results are staged column-major ([column][strip block]) and copied out once per column: the
        // quantizers' scattered per-block stores land in L1 instead of touching a line of B, Scales and ZeroPoints each.
        var stage = new Stage(Math.Min(ChunkColumns, width), b1 - b0, output.Blob);
        nint stageBytes = stage.ColumnBytes;
        // Columns past the last full vector group are copied here, zero-padded to a whole group.
        float[]? edge = width % lanes != 0 ? new float[blockSize * lanes] : null;
        fixed (byte* staged = stage.B)
        {
            for (int chunk = 0; chunk < width; chunk += ChunkColumns)
            {
                int c0 = n0 + chunk, cw = Math.Min(ChunkColumns, width - chunk);
                for (int b = b0; b < b1; b++)
                {
                    int k0 = b * blockSize, rows = Math.Min(blockSize, k - k0);
                    byte* blobs = staged + (nint)(b - b0) * output.Blob;
                    for (int g = 0; g < cw; g += lanes)
                    {
                        int count = Math.Min(lanes, cw - g);
                        float* first = w + (long)k0 * n + c0 + g;
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
                        ColumnBlockQuantizer.StoreLanes(groupBlob, output.Blob, count, blobs + g * stageBytes, stageBytes);
                        stage.SetParameters(g, b - b0, new ReadOnlySpan<float>(laneScales, count), new ReadOnlySpan<int>(laneZeroPoints, count));
                    }
                }
                output.Write(stage, c0, cw, b0, b1 - b0);
            }
        }
        return true;
    }

    /// <summary>
    /// One chunk's blobs, column-major over the strip's blocks ([column][block][byte]), and its scales and zero points,
    /// block-major ([block][column]) as the quantizers produce them.
    /// </summary>
    private sealed class Stage(int columns, int blocks, int blob)
    {
        public readonly int Columns = columns;
        public readonly int Blocks = blocks;
        public readonly int ColumnBytes = blocks * blob;
        public readonly byte[] B = new byte[columns * blocks * blob];
        public readonly float[] Scales = new float[blocks * columns];
        public readonly int[] ZeroPoints = new int[blocks * columns];

        public void SetParameters(int column, int block, ReadOnlySpan<float> scales, ReadOnlySpan<int> zeroPoints)
        {
            scales.CopyTo(Scales.AsSpan(block * Columns + column));
            zeroPoints.CopyTo(ZeroPoints.AsSpan(block * Columns + column));
        }
    }

    /// <summary>The MatMulNBits arrays (B and scales n-major, zero points packed) the staged chunks are copied into.</summary>
    private readonly record struct Output(byte[] B, float[] Scales, byte[] ZeroPoints, int KBlocks, int Blob, int ZpBytes, int Bits)
    {
        // Columns whose parameters are transposed together: their lines of Scales and ZeroPoints stay in L1.
        private const int Tile = 16;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Write(Stage stage, int col, int columns, int block, int blocks)
        {
            int bytes = blocks * Blob;
            for (int t = 0; t < columns; t++)
                stage.B.AsSpan(t * stage.ColumnBytes, bytes).CopyTo(B.AsSpan(((col + t) * KBlocks + block) * Blob, bytes));
            for (int t0 = 0; t0 < columns; t0 += Tile)
            {
                int tile = Math.Min(Tile, columns - t0);
                for (int i = 0; i < blocks; i++)
                {
                    int b = block + i, source = i * stage.Columns + t0;
                    // bits divides 8, so a zero point never straddles a byte.
                    int zeroPointByte = b * Bits >> 3, shift = b * Bits & 7;
                    for (int t = 0; t < tile; t++)
                    {
                        int c = col + t0 + t;
                        Scales[c * KBlocks + b] = stage.Scales[source + t];
                        ZeroPoints[c * ZpBytes + zeroPointByte] |= (byte)(stage.ZeroPoints[source + t] << shift);
                    }
                }
            }
        }
    }
}
