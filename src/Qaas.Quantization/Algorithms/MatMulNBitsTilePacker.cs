using System.Runtime.Intrinsics;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// The fused MatMulNBits pack: one pass over W[K, N] that finds each (column, K-block) range, quantizes and
/// writes the packed blob, scale and zero point directly, with no intermediate [K, N] byte array.
/// Work items are strips of K-blocks (whole rows of W, split by columns only when K is short); inside a strip each
/// block is swept across its columns in 8-column vector groups, so reads run along rows of W.
/// </summary>
internal static unsafe class MatMulNBitsTilePacker
{
    // A work item covers whole rows of W (a strip of K-blocks across a run of columns): reads stream along rows,
    // which the hardware prefetcher follows, instead of hopping a page per row as narrow column tiles do.
    // Enough blocks per strip that a column's blobs fill a 64-byte line, so items rarely share cache lines.
    private const int LineBytes = 64;

    // Columns quantized together inside a strip (a multiple of both vector widths).
    private const int ChunkColumns = 256;

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
        // Blocks per strip: a whole number of zero-point bytes (8 / bits blocks each, so no byte is shared by two
        // items) and at least a cache line of B per column; both are powers of two, so the larger is a multiple of the other.
        int stripBlocks = Math.Max(8 / bits, Math.Max(1, LineBytes / blob));
        int strips = (kBlocks + stripBlocks - 1) / stripBlocks;
        // Short K (few strips): split the columns too, in whole vector groups, so every core gets work.
        int groups = (n + ColumnBlockQuantizer.Lanes - 1) / ColumnBlockQuantizer.Lanes;
        int columnParts = Math.Min(groups, Math.Max(1, (4 * degree + strips - 1) / strips));
        int partColumns = (groups + columnParts - 1) / columnParts * ColumnBlockQuantizer.Lanes;
        columnParts = (n + partColumns - 1) / partColumns;
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

    private static bool PackStrip(float* w, int k, int n, int b0, int b1, int n0, int width, int blockSize, int bits,
        bool symmetric, Output output)
    {
        const int lanes = ColumnBlockQuantizer.Lanes, wideLanes = WideColumnBlockQuantizer.Lanes;
        byte* groupBlob = stackalloc byte[output.Blob * lanes];
        float* laneScales = stackalloc float[wideLanes];
        int* laneZeroPoints = stackalloc int[wideLanes];
        var wide = bits == 4 && blockSize % 32 == 0 && width >= wideLanes && WideColumnBlockQuantizer.IsSupported
            ? new WideColumnBlockQuantizer.Buffers(ChunkColumns, blockSize)
            : null;
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
                    int g = 0;
                    if (wide is not null && rows == blockSize)
                    {
                        g = cw / wideLanes * wideLanes;
                        if (!WideColumnBlockQuantizer.QuantizeRows(w + (long)k0 * n + c0, n, g, blockSize, symmetric, blobs, stageBytes, wide))
                            return false;
                        stage.SetParameters(0, b - b0, wide.Scale.AsSpan(0, g), wide.ZeroPoints.AsSpan(0, g));
                    }
                    for (; g < cw; g += lanes)
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

    /// <summary>One chunk's blobs, scales and zero points, column-major over the strip's blocks.</summary>
    private sealed class Stage(int columns, int blocks, int blob)
    {
        public readonly int Blocks = blocks;
        public readonly int ColumnBytes = blocks * blob;
        public readonly byte[] B = new byte[columns * blocks * blob];
        public readonly float[] Scales = new float[columns * blocks];
        public readonly int[] ZeroPoints = new int[columns * blocks];

        public void SetParameters(int column, int block, ReadOnlySpan<float> scales, ReadOnlySpan<int> zeroPoints)
        {
            for (int t = 0; t < scales.Length; t++)
            {
                Scales[(column + t) * Blocks + block] = scales[t];
                ZeroPoints[(column + t) * Blocks + block] = zeroPoints[t];
            }
        }
    }

    /// <summary>The MatMulNBits arrays (B and scales n-major, zero points packed) the staged chunks are copied into.</summary>
    private readonly record struct Output(byte[] B, float[] Scales, byte[] ZeroPoints, int KBlocks, int Blob, int ZpBytes, int Bits)
    {
        public void Write(Stage stage, int col, int columns, int block, int blocks)
        {
            int bytes = blocks * Blob;
            for (int t = 0; t < columns; t++)
            {
                int c = col + t;
                stage.B.AsSpan(t * stage.ColumnBytes, bytes).CopyTo(B.AsSpan((c * KBlocks + block) * Blob, bytes));
                stage.Scales.AsSpan(t * stage.Blocks, blocks).CopyTo(Scales.AsSpan(c * KBlocks + block, blocks));
                // bits divides 8, so a zero point never straddles a byte; a strip starts on a byte boundary.
                for (int i = 0; i < blocks; i++)
                {
                    int b = block + i;
                    ZeroPoints[c * ZpBytes + (b * Bits >> 3)] |= (byte)(stage.ZeroPoints[t * stage.Blocks + i] << (b * Bits & 7));
                }
            }
        }
    }
}
