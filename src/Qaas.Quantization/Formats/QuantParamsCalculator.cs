namespace Qaas.Quantization.Formats;

/// <summary>
/// Turns observed ranges into scales and zero points. The range is always widened to include 0 so that
/// zero (padding, ReLU output) is exactly representable, as ONNX quantization requires.
/// </summary>
public static class QuantParamsCalculator
{
    /// <summary>Scales below this are replaced by 1 (an all-zero or denormal range), so a scale is never 0.</summary>
    public const float MinScale = 1.17549435E-38f; // float's smallest normal number

    public static QuantParams FromRange(float min, float max, QuantType type, bool symmetric) =>
        FromRange(min, max, type.QMin(), type.QMax(), symmetric);

    /// <summary>
    /// Symmetric: zero point at the middle of the integer range (0 for signed types) and
    /// scale = max|x| / (largest step count on either side), so -max|x| and +max|x| are both representable.
    /// Asymmetric: scale = (max - min) / (qmax - qmin), zero point = round(qmin - min / scale).
    /// </summary>
    public static QuantParams FromRange(float min, float max, int qmin, int qmax, bool symmetric)
    {
        if (qmax <= qmin)
            throw new ArgumentException("qmax must exceed qmin.");
        if (float.IsNaN(min) || float.IsNaN(max))
            throw new NonFiniteValueException("A quantization range contains NaN: the values it was measured on (a weight, a constant or an activation) are not all numbers.");
        min = MathF.Min(min, 0f);
        max = MathF.Max(max, 0f);
        if (symmetric)
        {
            int zero = qmin < 0 ? 0 : (qmin + qmax + 1) / 2;
            int steps = Math.Min(zero - qmin, qmax - zero);
            float absMax = MathF.Max(-min, max);
            float scale = absMax / steps;
            return new QuantParams(ValidScale(scale) ? scale : 1f, zero);
        }
        else
        {
            float scale = (float)(((double)max - min) / (qmax - qmin));
            if (!ValidScale(scale))
                scale = 1f;
            int zp = (int)Math.Clamp(Math.Round(qmin - (double)min / scale, MidpointRounding.ToEven), qmin, qmax);
            return new QuantParams(scale, zp);
        }
    }

    /// <summary>
    /// Per-tensor scale for a float target of QuantizeLinear (fp8, fp4): scale = max|x| / largest finite value,
    /// zero point 0 (ONNX requires it for float8 outputs).
    /// </summary>
    public static QuantParams ForFloatType(float min, float max, QuantType type)
    {
        float largest = type switch
        {
            QuantType.Float8E4M3FN => MiniFloatFormat.E4M3FN.MaxValue,
            QuantType.Float8E5M2 => MiniFloatFormat.E5M2.MaxValue,
            QuantType.Float4E2M1 => MiniFloatFormat.E2M1.MaxValue,
            _ => throw new ArgumentException($"{type} is not a scaled float type.", nameof(type)),
        };
        float scale = MathF.Max(MathF.Abs(min), MathF.Abs(max)) / largest;
        return new QuantParams(ValidScale(scale) ? scale : 1f, 0);
    }

    /// <summary>Element-wise <see cref="FromRange(float,float,int,int,bool)"/> over parallel range arrays.</summary>
    public static void FromRanges(ReadOnlySpan<float> mins, ReadOnlySpan<float> maxs, int qmin, int qmax, bool symmetric,
        Span<float> scales, Span<int> zeroPoints)
    {
        for (int i = 0; i < mins.Length; i++)
        {
            var p = FromRange(mins[i], maxs[i], qmin, qmax, symmetric);
            scales[i] = p.Scale;
            zeroPoints[i] = p.ZeroPoint;
        }
    }

    public static TensorQuantParams PerTensor(ReadOnlySpan<float> x, QuantType type, bool symmetric)
    {
        var (min, max) = TensorRanges.PerTensor(x);
        var p = FromRange(min, max, type, symmetric);
        return new TensorQuantParams(type, Granularity.PerTensor, 0, 0, [p.Scale], [p.ZeroPoint], []);
    }

    /// <summary>One (scale, zero point) per index along <paramref name="axis"/> of a row-major tensor.</summary>
    public static TensorQuantParams PerChannel(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, int axis, QuantType type, bool symmetric)
    {
        var layout = AxisLayout.Of(shape, axis);
        var mins = new float[layout.Axis];
        var maxs = new float[layout.Axis];
        TensorRanges.PerChannel(x, layout, mins, maxs);
        var scales = new float[layout.Axis];
        var zps = new int[layout.Axis];
        FromRanges(mins, maxs, type.QMin(), type.QMax(), symmetric, scales, zps);
        return new TensorQuantParams(type, Granularity.PerChannel, Normalize(axis, shape.Length), 0, scales, zps, [layout.Axis]);
    }

    /// <summary>One pair per block of <paramref name="blockSize"/> consecutive indices along <paramref name="axis"/>.</summary>
    public static TensorQuantParams PerBlock(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, int axis, int blockSize,
        QuantType type, bool symmetric)
    {
        if (blockSize is < 2)
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "Block size must be at least 2.");
        var layout = AxisLayout.Of(shape, axis);
        int count = layout.Outer * layout.BlockCount(blockSize) * layout.Inner;
        var mins = new float[count];
        var maxs = new float[count];
        TensorRanges.PerBlock(x, layout, blockSize, mins, maxs);
        var scales = new float[count];
        var zps = new int[count];
        FromRanges(mins, maxs, type.QMin(), type.QMax(), symmetric, scales, zps);
        int normalized = Normalize(axis, shape.Length);
        var paramShape = shape.ToArray();
        paramShape[normalized] = layout.BlockCount(blockSize);
        return new TensorQuantParams(type, Granularity.PerBlock, normalized, blockSize, scales, zps, paramShape);
    }

    private static bool ValidScale(float scale) => scale >= MinScale && float.IsFinite(scale);

    private static int Normalize(int axis, int rank) => axis < 0 ? axis + rank : axis;
}
