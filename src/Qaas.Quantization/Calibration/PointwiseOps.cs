using System.Numerics;
using System.Runtime.Intrinsics;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// The ops a <see cref="PointwiseExpression"/> node applies, on a vector of values and on one value (a span's tail),
/// with the float operations of ONNX Runtime's kernels in their order: no fused multiply-add (RyuJIT never contracts
/// a * x + b), min/max as the native instructions, as ORT's Eigen and MLAS kernels use them.
/// </summary>
internal interface IPointwiseOp
{
    Vector<float> Apply(Vector<float> x);

    Vector512<float> Apply(Vector512<float> x);

    float Apply(float x);
}

/// <summary>An op of two functions of the same source, element by element.</summary>
internal interface IPointwiseBinaryOp
{
    Vector<float> Apply(Vector<float> a, Vector<float> b);

    Vector512<float> Apply(Vector512<float> a, Vector512<float> b);

    float Apply(float a, float b);
}

internal readonly record struct AddScalar(float C) : IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) => x + new Vector<float>(C);
    public Vector512<float> Apply(Vector512<float> x) => x + Vector512.Create(C);
    public float Apply(float x) => x + C;
}

/// <summary>C - x.</summary>
internal readonly record struct SubtractFromScalar(float C) : IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) => new Vector<float>(C) - x;
    public Vector512<float> Apply(Vector512<float> x) => Vector512.Create(C) - x;
    public float Apply(float x) => C - x;
}

internal readonly record struct MultiplyScalar(float C) : IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) => x * C;
    public Vector512<float> Apply(Vector512<float> x) => x * C;
    public float Apply(float x) => x * C;
}

/// <summary>x / C, divided (ORT's Div does not multiply by 1 / C).</summary>
internal readonly record struct DivideByScalar(float C) : IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) => x / new Vector<float>(C);
    public Vector512<float> Apply(Vector512<float> x) => x / Vector512.Create(C);
    public float Apply(float x) => x / C;
}

/// <summary>C / x.</summary>
internal readonly record struct DivideScalar(float C) : IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) => new Vector<float>(C) / x;
    public Vector512<float> Apply(Vector512<float> x) => Vector512.Create(C) / x;
    public float Apply(float x) => C / x;
}

internal readonly record struct Negate : IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) => -x;
    public Vector512<float> Apply(Vector512<float> x) => -x;
    public float Apply(float x) => -x;
}

/// <summary>min(max(x, Lo), Hi); Relu is Clip(0, +max).</summary>
internal readonly record struct ClipOp(float Lo, float Hi) : IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) =>
        Vector.MinNative(Vector.MaxNative(x, new Vector<float>(Lo)), new Vector<float>(Hi));
    public Vector512<float> Apply(Vector512<float> x) =>
        Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(Lo)), Vector512.Create(Hi));
    public float Apply(float x) => MathF.Min(MathF.Max(x, Lo), Hi);
}

/// <summary>x &gt;= 0 ? x : Alpha * x.</summary>
internal readonly record struct LeakyReluOp(float Alpha) : IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, Vector<float>.Zero), x, x * Alpha);
    public Vector512<float> Apply(Vector512<float> x) =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), x, x * Alpha);
    public float Apply(float x) => x >= 0 ? x : Alpha * x;
}

/// <summary>max(0, min(1, Alpha * x + Beta)), rounded after the product and after the sum.</summary>
internal readonly record struct HardSigmoidOp(float Alpha, float Beta) : IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) =>
        Vector.MaxNative(Vector.MinNative(x * Alpha + new Vector<float>(Beta), Vector<float>.One), Vector<float>.Zero);
    public Vector512<float> Apply(Vector512<float> x) =>
        Vector512.MaxNative(Vector512.MinNative(x * Alpha + Vector512.Create(Beta), Vector512<float>.One), Vector512<float>.Zero);
    public float Apply(float x) => MathF.Max(MathF.Min(Alpha * x + Beta, 1f), 0f);
}

internal readonly record struct AddOp : IPointwiseBinaryOp
{
    public Vector<float> Apply(Vector<float> a, Vector<float> b) => a + b;
    public Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a + b;
    public float Apply(float a, float b) => a + b;
}

internal readonly record struct SubtractOp : IPointwiseBinaryOp
{
    public Vector<float> Apply(Vector<float> a, Vector<float> b) => a - b;
    public Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a - b;
    public float Apply(float a, float b) => a - b;
}

internal readonly record struct MultiplyOp : IPointwiseBinaryOp
{
    public Vector<float> Apply(Vector<float> a, Vector<float> b) => a * b;
    public Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a * b;
    public float Apply(float a, float b) => a * b;
}

internal readonly record struct DivideOp : IPointwiseBinaryOp
{
    public Vector<float> Apply(Vector<float> a, Vector<float> b) => a / b;
    public Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a / b;
    public float Apply(float a, float b) => a / b;
}
