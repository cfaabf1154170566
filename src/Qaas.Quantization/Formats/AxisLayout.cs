namespace Qaas.Quantization.Formats;

/// <summary>
/// A row-major tensor seen as [Outer, Axis, Inner] around one axis, which is all per-channel and
/// per-block quantization needs to know about its shape.
/// </summary>
public readonly record struct AxisLayout(int Outer, int Axis, int Inner)
{
    public int Length => Outer * Axis * Inner;

    public static AxisLayout Of(ReadOnlySpan<int> shape, int axis)
    {
        if (shape.Length == 0)
            return new AxisLayout(1, 1, 1);
        if (axis < 0)
            axis += shape.Length;
        if ((uint)axis >= (uint)shape.Length)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Axis out of range for rank {shape.Length}.");
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++)
            outer = checked(outer * shape[i]);
        for (int i = axis + 1; i < shape.Length; i++)
            inner = checked(inner * shape[i]);
        return new AxisLayout(outer, shape[axis], inner);
    }

    /// <summary>Number of blocks along the axis for a block size (the last block may be partial).</summary>
    public int BlockCount(int blockSize) => (Axis + blockSize - 1) / blockSize;
}
