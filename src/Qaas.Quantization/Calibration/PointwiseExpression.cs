using System.Numerics;
using System.Numerics.Tensors;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// An elementwise function of one source tensor, as a small tree of ONNX pointwise ops (scalar arithmetic, Clip, Relu,
/// LeakyRelu, HardSigmoid, HardSwish, Sigmoid, and Add/Sub/Mul/Div of two such functions), evaluated a block of source
/// values at a time with vectorized loops whose operands stay in L1. Each node does the float operations ONNX Runtime's
/// kernel does, in the same order, so the values are those ORT computes (bit for bit, except where ORT may fuse
/// HardSigmoid's a * x + b into one rounding, and Sigmoid, which ORT approximates its own way: see each node).
/// </summary>
public abstract class PointwiseExpression
{
    /// <summary>Source values per evaluation: every node keeps one block of results (4 KiB).</summary>
    public const int BlockSize = 1024;

    /// <summary>The source values themselves.</summary>
    public static PointwiseExpression Source { get; } = new SourceValues();

    /// <summary>f(x) for at most <see cref="BlockSize"/> source values; valid until this node is evaluated again.</summary>
    /// <remarks>A node reached twice in one tree (x * hardsigmoid(x)) recomputes the same values into its buffer.</remarks>
    public abstract ReadOnlySpan<float> Evaluate(ReadOnlySpan<float> x);

    /// <summary>Number of nodes other than the source, counting a shared node once per path.</summary>
    public abstract int Size { get; }

    public delegate void Kernel(ReadOnlySpan<float> input, Span<float> output);

    public delegate void BinaryKernel(ReadOnlySpan<float> left, ReadOnlySpan<float> right, Span<float> output);

    /// <summary>A function of one operand whose parameters are constants, such as x + c or Clip.</summary>
    public static PointwiseExpression Map(PointwiseExpression input, Kernel kernel) => new Unary(input, kernel);

    /// <summary>Two functions of the same source combined elementwise, such as x * hardsigmoid(x).</summary>
    public static PointwiseExpression Combine(PointwiseExpression left, PointwiseExpression right, BinaryKernel kernel) =>
        new Binary(left, right, kernel);

    // ONNX Runtime's kernels for these ops, element by element (Eigen or MLAS, no reassociation).
    public static PointwiseExpression Add(PointwiseExpression x, float c) => Map(x, (a, y) => TensorPrimitives.Add(a, c, y));
    public static PointwiseExpression Subtract(PointwiseExpression x, float c) => Map(x, (a, y) => TensorPrimitives.Subtract(a, c, y));
    public static PointwiseExpression SubtractFrom(float c, PointwiseExpression x) => Map(x, (a, y) => TensorPrimitives.Subtract(c, a, y));
    public static PointwiseExpression Multiply(PointwiseExpression x, float c) => Map(x, (a, y) => TensorPrimitives.Multiply(a, c, y));
    public static PointwiseExpression Divide(PointwiseExpression x, float c) => Map(x, (a, y) => TensorPrimitives.Divide(a, c, y));
    public static PointwiseExpression DivideInto(float c, PointwiseExpression x) => Map(x, (a, y) => TensorPrimitives.Divide(c, a, y));
    public static PointwiseExpression Negate(PointwiseExpression x) => Map(x, (a, y) => TensorPrimitives.Negate(a, y));
    public static PointwiseExpression Relu(PointwiseExpression x) => Map(x, (a, y) => TensorPrimitives.Max(a, 0f, y));

    public static PointwiseExpression Clip(PointwiseExpression x, float lo, float hi) => Map(x, (a, y) =>
    {
        TensorPrimitives.Max(a, lo, y);
        TensorPrimitives.Min(y, hi, y);
    });

    /// <summary>x &gt;= 0 ? x : alpha * x.</summary>
    public static PointwiseExpression LeakyRelu(PointwiseExpression x, float alpha) => Map(x, (a, y) => Leaky(a, alpha, y));

    /// <summary>max(0, min(1, alpha * x + beta)), rounded after the product (ORT's fused kernels may not: 1 ulp).</summary>
    public static PointwiseExpression HardSigmoid(PointwiseExpression x, float alpha, float beta) => Map(x, (a, y) =>
    {
        TensorPrimitives.Multiply(a, alpha, y);
        TensorPrimitives.Add(y, beta, y);
        TensorPrimitives.Min(y, 1f, y);
        TensorPrimitives.Max(y, 0f, y);
    });

    /// <summary>x * HardSigmoid(x) with alpha 1/6 and beta 0.5, as the ONNX definition of HardSwish spells it.</summary>
    public static PointwiseExpression HardSwish(PointwiseExpression x) =>
        Multiply(x, HardSigmoid(x, 1f / 6, 0.5f));

    /// <summary>1 / (1 + e^-x) to within an ulp or two; ORT's MLAS uses a rational approximation that differs as much.</summary>
    public static PointwiseExpression Sigmoid(PointwiseExpression x) => Map(x, (a, y) => TensorPrimitives.Sigmoid(a, y));

    public static PointwiseExpression Add(PointwiseExpression a, PointwiseExpression b) => Combine(a, b, (l, r, y) => TensorPrimitives.Add(l, r, y));
    public static PointwiseExpression Subtract(PointwiseExpression a, PointwiseExpression b) => Combine(a, b, (l, r, y) => TensorPrimitives.Subtract(l, r, y));
    public static PointwiseExpression Multiply(PointwiseExpression a, PointwiseExpression b) => Combine(a, b, (l, r, y) => TensorPrimitives.Multiply(l, r, y));
    public static PointwiseExpression Divide(PointwiseExpression a, PointwiseExpression b) => Combine(a, b, (l, r, y) => TensorPrimitives.Divide(l, r, y));

    private static void Leaky(ReadOnlySpan<float> x, float alpha, Span<float> y)
    {
        int i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var v = new Vector<float>(x[i..]);
            Vector.ConditionalSelect(Vector.GreaterThanOrEqual(v, Vector<float>.Zero), v, v * alpha).CopyTo(y[i..]);
        }
        for (; i < x.Length; i++)
            y[i] = x[i] >= 0 ? x[i] : alpha * x[i];
    }

    private sealed class SourceValues : PointwiseExpression
    {
        public override ReadOnlySpan<float> Evaluate(ReadOnlySpan<float> x) => x;

        public override int Size => 0;
    }

    private sealed class Unary(PointwiseExpression input, Kernel kernel) : PointwiseExpression
    {
        private readonly float[] _values = new float[BlockSize];

        public override ReadOnlySpan<float> Evaluate(ReadOnlySpan<float> x)
        {
            var result = _values.AsSpan(0, x.Length);
            kernel(input.Evaluate(x), result);
            return result;
        }

        public override int Size => 1 + input.Size;
    }

    private sealed class Binary(PointwiseExpression left, PointwiseExpression right, BinaryKernel kernel) : PointwiseExpression
    {
        private readonly float[] _values = new float[BlockSize];

        public override ReadOnlySpan<float> Evaluate(ReadOnlySpan<float> x)
        {
            var result = _values.AsSpan(0, x.Length);
            var l = left.Evaluate(x);
            kernel(l, right.Evaluate(x), result);
            return result;
        }

        public override int Size => 1 + left.Size + right.Size;
    }
}
