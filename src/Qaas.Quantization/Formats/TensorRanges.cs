using System.Numerics.Tensors;

namespace Qaas.Quantization.Formats;

/// <summary>Min/max of a tensor per tensor, per channel along an axis, or per block along an axis.</summary>
public static class TensorRanges
{
    public static (float Min, float Max) PerTensor(ReadOnlySpan<float> x) =>
        x.IsEmpty ? (0f, 0f) : (TensorPrimitives.Min(x), TensorPrimitives.Max(x));

    /// <summary>Ranges of each index along the layout's axis; outputs have length layout.Axis.</summary>
    public static void PerChannel(ReadOnlySpan<float> x, AxisLayout layout, Span<float> mins, Span<float> maxs)
    {
        RequireLength(x, layout);
        mins[..layout.Axis].Fill(float.PositiveInfinity);
        maxs[..layout.Axis].Fill(float.NegativeInfinity);
        if (layout.Inner == 1)
        {
            // Channels along the innermost axis: fold whole rows element-wise.
            var lo = mins[..layout.Axis];
            var hi = maxs[..layout.Axis];
            for (int o = 0; o < layout.Outer; o++)
            {
                var row = x.Slice(o * layout.Axis, layout.Axis);
                TensorPrimitives.Min(lo, row, lo);
                TensorPrimitives.Max(hi, row, hi);
            }
            return;
        }
        for (int o = 0; o < layout.Outer; o++)
        {
            for (int c = 0; c < layout.Axis; c++)
            {
                var run = x.Slice((o * layout.Axis + c) * layout.Inner, layout.Inner);
                if (run.IsEmpty)
                    continue;
                mins[c] = MathF.Min(mins[c], TensorPrimitives.Min(run));
                maxs[c] = MathF.Max(maxs[c], TensorPrimitives.Max(run));
            }
        }
    }

    /// <summary>Ranges of each block along the axis; outputs have length Outer * BlockCount * Inner.</summary>
    public static void PerBlock(ReadOnlySpan<float> x, AxisLayout layout, int blockSize, Span<float> mins, Span<float> maxs)
    {
        RequireLength(x, layout);
        if (blockSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(blockSize));
        int blocks = layout.BlockCount(blockSize);
        int inner = layout.Inner;
        for (int o = 0; o < layout.Outer; o++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int first = b * blockSize, count = Math.Min(blockSize, layout.Axis - first);
                var lo = mins.Slice((o * blocks + b) * inner, inner);
                var hi = maxs.Slice((o * blocks + b) * inner, inner);
                if (inner == 1)
                {
                    // Blocks along the innermost axis are contiguous runs.
                    var run = x.Slice(o * layout.Axis + first, count);
                    lo[0] = TensorPrimitives.Min(run);
                    hi[0] = TensorPrimitives.Max(run);
                    continue;
                }
                var firstRow = x.Slice((o * layout.Axis + first) * inner, inner);
                firstRow.CopyTo(lo);
                firstRow.CopyTo(hi);
                for (int c = first + 1; c < first + count; c++)
                {
                    var row = x.Slice((o * layout.Axis + c) * inner, inner);
                    TensorPrimitives.Min(lo, row, lo);
                    TensorPrimitives.Max(hi, row, hi);
                }
            }
        }
    }

    private static void RequireLength(ReadOnlySpan<float> x, AxisLayout layout)
    {
        if (x.Length != layout.Length)
            throw new ArgumentException($"Tensor has {x.Length} elements, layout expects {layout.Length}.", nameof(x));
    }
}
