using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Kernels;

/// <summary>
/// Applies <see cref="TensorQuantParams"/> (per-tensor, per-channel or per-block) to a whole row-major tensor.
/// Values of types up to 8 bits come back one per byte (two's complement when signed).
/// </summary>
public static class TensorQuantizer
{
    public static byte[] Quantize(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, TensorQuantParams p)
    {
        var q = new byte[x.Length];
        Quantize(x, shape, p, q);
        return q;
    }

    public static void Quantize(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, TensorQuantParams p, Span<byte> q)
    {
        if (p.Type.BitWidth() > 8 || !p.Type.IsInteger())
            throw new ArgumentException($"{p.Type} is not an integer type of at most 8 bits.", nameof(p));
        int qmin = p.QMin, qmax = p.QMax;
        if (p.Granularity == Granularity.PerTensor)
        {
            QuantizeLinear.ToBytes(x, p.Scales[0], p.ZeroPoints[0], qmin, qmax, q);
            return;
        }
        var layout = AxisLayout.Of(shape, p.Axis);
        if (layout.Length != x.Length)
            throw new ArgumentException("Shape does not match the data.", nameof(shape));
        if (p.Granularity == Granularity.PerChannel || layout.Inner == 1)
        {
            // Every run of Inner elements shares one (scale, zero point).
            for (int o = 0; o < layout.Outer; o++)
            {
                for (int c = 0; c < layout.Axis; c++)
                {
                    int at = (o * layout.Axis + c) * layout.Inner;
                    int pi = p.ParamIndex(layout, o, c, 0);
                    QuantizeLinear.ToBytes(x.Slice(at, layout.Inner), p.Scales[pi], p.ZeroPoints[pi], qmin, qmax,
                        q.Slice(at, layout.Inner));
                }
            }
            return;
        }
        // Blocked along a non-innermost axis: each row of Inner elements uses a row of parameters.
        int blocks = layout.BlockCount(p.BlockSize);
        var zpRow = new float[layout.Inner];
        for (int o = 0; o < layout.Outer; o++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int paramAt = (o * blocks + b) * layout.Inner;
                var scaleRow = p.Scales.AsSpan(paramAt, layout.Inner);
                for (int i = 0; i < zpRow.Length; i++)
                    zpRow[i] = p.ZeroPoints[paramAt + i];
                int end = Math.Min(layout.Axis, (b + 1) * p.BlockSize);
                for (int c = b * p.BlockSize; c < end; c++)
                {
                    int at = (o * layout.Axis + c) * layout.Inner;
                    QuantizeLinear.ToBytes(x.Slice(at, layout.Inner), scaleRow, zpRow, qmin, qmax, q.Slice(at, layout.Inner));
                }
            }
        }
    }

    public static float[] Dequantize(ReadOnlySpan<byte> q, ReadOnlySpan<int> shape, TensorQuantParams p)
    {
        var x = new float[q.Length];
        Dequantize(q, shape, p, x);
        return x;
    }

    public static void Dequantize(ReadOnlySpan<byte> q, ReadOnlySpan<int> shape, TensorQuantParams p, Span<float> x)
    {
        bool signed = p.Type.IsSigned();
        if (p.Granularity == Granularity.PerTensor)
        {
            DequantizeLinear.FromBytes(q, signed, p.Scales[0], p.ZeroPoints[0], x);
            return;
        }
        var layout = AxisLayout.Of(shape, p.Axis);
        for (int o = 0; o < layout.Outer; o++)
        {
            for (int c = 0; c < layout.Axis; c++)
            {
                int at = (o * layout.Axis + c) * layout.Inner;
                if (p.Granularity == Granularity.PerChannel || layout.Inner == 1)
                {
                    int pi = p.ParamIndex(layout, o, c, 0);
                    DequantizeLinear.FromBytes(q.Slice(at, layout.Inner), signed, p.Scales[pi], p.ZeroPoints[pi],
                        x.Slice(at, layout.Inner));
                    continue;
                }
                for (int i = 0; i < layout.Inner; i++)
                {
                    int pi = p.ParamIndex(layout, o, c, i);
                    int v = signed ? (sbyte)q[at + i] : q[at + i];
                    x[at + i] = (v - p.ZeroPoints[pi]) * p.Scales[pi];
                }
            }
        }
    }
}
