using System.Numerics.Tensors;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// The input patches a 2-D Conv multiplies its weight rows with, for second moments per group: patch element
/// (c, i, j) of output position (y, x) is X[c, y * stride - pad + i * dilation, ...] (zero outside), ordered as a row
/// of W[M, C / group, kH, kW] is.
/// </summary>
public sealed record ConvPatches(int Groups, int ChannelsPerGroup, int KernelH, int KernelW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH, int DilationW, string AutoPad)
{
    /// <summary>Length of one group's patch: a weight row.</summary>
    public int PatchLength => ChannelsPerGroup * KernelH * KernelW;

    /// <returns>Null for Convs that are not 2-D.</returns>
    public static ConvPatches? Of(NodeProto conv, IReadOnlyList<long> weightShape)
    {
        if (weightShape.Count != 4) return null;
        long[] Ints(string name, long fallback, int count) =>
            Attributes.Find(conv, name) is { } a && a.Ints.Count == count ? a.Ints.ToArray() : Enumerable.Repeat(fallback, count).ToArray();
        var strides = Ints("strides", 1, 2);
        var dilations = Ints("dilations", 1, 2);
        var pads = Ints("pads", 0, 4);
        int group = (int)(Attributes.Find(conv, "group")?.I ?? 1);
        string autoPad = Attributes.Find(conv, "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER") || group < 1) return null;
        return new ConvPatches(group, (int)weightShape[1], (int)weightShape[2], (int)weightShape[3], (int)strides[0], (int)strides[1],
            (int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3], (int)dilations[0], (int)dilations[1], autoPad);
    }

    /// <summary>
    /// Adds sum p p^T over up to <paramref name="maxPositions"/> output positions (evenly strided, starting at
    /// <paramref name="offset"/> modulo the stride so that successive samples see different positions) of every
    /// image in X[N, C, H, W] to the lower triangle of each group's [PatchLength, PatchLength] matrix.
    /// </summary>
    /// <returns>Patches added per group.</returns>
    public int Accumulate(ReadOnlySpan<float> x, IReadOnlyList<long> shape, double[][] sums, int maxPositions, int offset)
    {
        if (shape.Count != 4 || shape[1] != (long)Groups * ChannelsPerGroup || sums.Length != Groups) return 0;
        int images = (int)shape[0], channels = (int)shape[1], height = (int)shape[2], width = (int)shape[3];
        var (outH, top) = Output(height, KernelH, StrideH, DilationH, PadTop, PadBottom);
        var (outW, left) = Output(width, KernelW, StrideW, DilationW, PadLeft, PadRight);
        if (outH <= 0 || outW <= 0) return 0;
        int positions = outH * outW, step = Math.Max(1, (positions + maxPositions - 1) / maxPositions);
        var chosen = new List<int>();
        for (int p = offset % step; p < positions; p += step) chosen.Add(p);
        int count = chosen.Count, d = PatchLength;
        // Patch element rows, [d][count]: H[a, b] is then a dot product of two contiguous rows.
        var rows = new float[d * count];
        for (int n = 0; n < images; n++)
            for (int g = 0; g < Groups; g++)
            {
                for (int c = 0; c < ChannelsPerGroup; c++)
                {
                    var plane = x.Slice(((n * channels) + g * ChannelsPerGroup + c) * height * width, height * width);
                    for (int i = 0; i < KernelH; i++)
                        for (int j = 0; j < KernelW; j++)
                        {
                            var row = rows.AsSpan(((c * KernelH + i) * KernelW + j) * count, count);
                            for (int k = 0; k < count; k++)
                            {
                                int y = chosen[k] / outW * StrideH - top + i * DilationH;
                                int xx = chosen[k] % outW * StrideW - left + j * DilationW;
                                row[k] = (uint)y < (uint)height && (uint)xx < (uint)width ? plane[y * width + xx] : 0;
                            }
                        }
                }
                var h = sums[g];
                for (int a = 0; a < d; a++)
                {
                    var ra = rows.AsSpan(a * count, count);
                    for (int b = 0; b <= a; b++)
                        h[a * d + b] += TensorPrimitives.Dot(ra, rows.AsSpan(b * count, count));
                }
            }
        return images * count;
    }

    // Output length and the padding before the first element, as ONNX Conv defines them.
    private (int Length, int Before) Output(int input, int kernel, int stride, int dilation, int padBegin, int padEnd)
    {
        int span = (kernel - 1) * dilation + 1;
        switch (AutoPad)
        {
            case "VALID":
                return ((input - span) / stride + 1, 0);
            case "SAME_UPPER" or "SAME_LOWER":
                int length = (input + stride - 1) / stride;
                int total = Math.Max(0, (length - 1) * stride + span - input);
                return (length, AutoPad == "SAME_UPPER" ? total / 2 : total - total / 2);
            default:
                return ((input + padBegin + padEnd - span) / stride + 1, padBegin);
        }
    }
}
