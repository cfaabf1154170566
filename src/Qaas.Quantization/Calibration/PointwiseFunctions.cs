using System.Numerics;
using System.Runtime.Intrinsics;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// A <see cref="PointwiseExpression"/> as one struct type: each node a generic struct over its children's types and
/// its op's, so that the JIT specializes the whole tree into straight-line vector code, one register per node, no
/// calls and no intermediate arrays. Trees of the same shape (every HardSwish) share one specialization.
/// </summary>
internal interface IPointwiseFunction
{
    Vector<float> Apply(Vector<float> x);

    Vector512<float> Apply(Vector512<float> x);

    float Apply(float x);
}

/// <summary>The source value itself.</summary>
internal readonly struct SourceFunction : IPointwiseFunction
{
    public Vector<float> Apply(Vector<float> x) => x;
    public Vector512<float> Apply(Vector512<float> x) => x;
    public float Apply(float x) => x;
}

internal readonly struct MapFunction<TInput, TOp>(TInput input, TOp op) : IPointwiseFunction
    where TInput : struct, IPointwiseFunction
    where TOp : struct, IPointwiseOp
{
    public Vector<float> Apply(Vector<float> x) => op.Apply(input.Apply(x));
    public Vector512<float> Apply(Vector512<float> x) => op.Apply(input.Apply(x));
    public float Apply(float x) => op.Apply(input.Apply(x));
}

internal readonly struct CombineFunction<TLeft, TRight, TOp>(TLeft left, TRight right, TOp op) : IPointwiseFunction
    where TLeft : struct, IPointwiseFunction
    where TRight : struct, IPointwiseFunction
    where TOp : struct, IPointwiseBinaryOp
{
    public Vector<float> Apply(Vector<float> x) => op.Apply(left.Apply(x), right.Apply(x));
    public Vector512<float> Apply(Vector512<float> x) => op.Apply(left.Apply(x), right.Apply(x));
    public float Apply(float x) => op.Apply(left.Apply(x), right.Apply(x));
}
