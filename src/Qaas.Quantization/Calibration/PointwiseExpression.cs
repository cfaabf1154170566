using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// An elementwise function of one source tensor, as a small tree of ONNX pointwise ops (scalar arithmetic, Clip, Relu,
/// LeakyRelu, HardSigmoid, HardSwish, and Add/Sub/Mul/Div of two such functions), whose range over a span of
/// source values is computed in one vectorized pass: the tree is compiled into one struct type
/// (<see cref="IPointwiseFunction"/>) that the JIT turns into straight-line register code. The ops are ONNX Runtime's
/// float operations in its order (<see cref="IPointwiseOp"/>), so the values are those ORT computes, bit for bit.
/// No Sigmoid: ORT's is MLAS's own approximation, and e^x costs more per value than capturing the tensor.
/// </summary>
public abstract class PointwiseExpression
{
    private RangeScan? _scan;

    /// <summary>The source values themselves.</summary>
    public static PointwiseExpression Source { get; } = new SourceNode();

    /// <summary>
    /// (min, max) of f over <paramref name="x"/> and of <paramref name="x"/> itself, in one pass: the source's observer
    /// need not read the values again. NaNs skipped; (+inf, -inf) where none is left.
    /// </summary>
    public (Extremes Function, Extremes Source) RangesOf(ReadOnlySpan<float> x) => (_scan ??= Compile()).RangesOf(x);

    /// <summary>Smallest and largest value.</summary>
    public readonly record struct Extremes(float Min, float Max)
    {
        public static Extremes Empty { get; } = new(float.PositiveInfinity, float.NegativeInfinity);

        public Extremes Include(Extremes other) => new(MathF.Min(Min, other.Min), MathF.Max(Max, other.Max));

        public Extremes Include(float value) => float.IsNaN(value) ? this : new(MathF.Min(Min, value), MathF.Max(Max, value));
    }

    public static PointwiseExpression Add(PointwiseExpression x, float c) => Map(x, new AddScalar(c));
    public static PointwiseExpression Subtract(PointwiseExpression x, float c) => Map(x, new AddScalar(-c)); // x - c is x + (-c) exactly
    public static PointwiseExpression SubtractFrom(float c, PointwiseExpression x) => Map(x, new SubtractFromScalar(c));
    public static PointwiseExpression Multiply(PointwiseExpression x, float c) => Map(x, new MultiplyScalar(c));
    public static PointwiseExpression Divide(PointwiseExpression x, float c) => Map(x, new DivideByScalar(c));
    public static PointwiseExpression DivideInto(float c, PointwiseExpression x) => Map(x, new DivideScalar(c));
    public static PointwiseExpression Negate(PointwiseExpression x) => Map(x, new Negate());
    public static PointwiseExpression Relu(PointwiseExpression x) => Map(x, new ClipOp(0f, float.PositiveInfinity));
    public static PointwiseExpression Clip(PointwiseExpression x, float lo, float hi) => Map(x, new ClipOp(lo, hi));
    public static PointwiseExpression LeakyRelu(PointwiseExpression x, float alpha) => Map(x, new LeakyReluOp(alpha));
    public static PointwiseExpression HardSigmoid(PointwiseExpression x, float alpha, float beta) => Map(x, new HardSigmoidOp(alpha, beta));

    /// <summary>x * HardSigmoid(x) with alpha 1/6 and beta 0.5, as the ONNX definition of HardSwish spells it.</summary>
    public static PointwiseExpression HardSwish(PointwiseExpression x) => Multiply(x, HardSigmoid(x, 1f / 6, 0.5f));

    public static PointwiseExpression Add(PointwiseExpression a, PointwiseExpression b) => Combine(a, b, new AddOp());
    public static PointwiseExpression Subtract(PointwiseExpression a, PointwiseExpression b) => Combine(a, b, new SubtractOp());
    public static PointwiseExpression Multiply(PointwiseExpression a, PointwiseExpression b) => Combine(a, b, new MultiplyOp());
    public static PointwiseExpression Divide(PointwiseExpression a, PointwiseExpression b) => Combine(a, b, new DivideOp());

    private static PointwiseExpression Map(PointwiseExpression x, IPointwiseOp op) => new MapNode(x, op);

    private static PointwiseExpression Combine(PointwiseExpression a, PointwiseExpression b, IPointwiseBinaryOp op) =>
        new CombineNode(a, b, op);

    /// <summary>This tree as an <see cref="IPointwiseFunction"/> struct (boxed), whose type mirrors the tree's shape.</summary>
    private protected abstract object Function();

    private RangeScan Compile()
    {
        var function = Function();
        return (RangeScan)Activator.CreateInstance(typeof(RangeScan<>).MakeGenericType(function.GetType()), function)!;
    }

    private static object Create(Type generic, Type[] arguments, params object[] values) =>
        Activator.CreateInstance(generic.MakeGenericType(arguments), values)!;

    private sealed class SourceNode : PointwiseExpression
    {
        private protected override object Function() => new SourceFunction();
    }

    private sealed class MapNode(PointwiseExpression input, IPointwiseOp op) : PointwiseExpression
    {
        private protected override object Function()
        {
            var x = input.Function();
            return Create(typeof(MapFunction<,>), [x.GetType(), op.GetType()], x, op);
        }
    }

    private sealed class CombineNode(PointwiseExpression left, PointwiseExpression right, IPointwiseBinaryOp op) : PointwiseExpression
    {
        private protected override object Function()
        {
            object a = left.Function(), b = right.Function();
            return Create(typeof(CombineFunction<,,>), [a.GetType(), b.GetType(), op.GetType()], a, b, op);
        }
    }

    private abstract class RangeScan
    {
        public abstract (Extremes Function, Extremes Source) RangesOf(ReadOnlySpan<float> x);
    }

    private sealed class RangeScan<TFunction>(TFunction f) : RangeScan where TFunction : struct, IPointwiseFunction
    {
        // Optimized from the first call: a calibration makes few calls per process, each over a large tensor.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override (Extremes Function, Extremes Source) RangesOf(ReadOnlySpan<float> x)
        {
            var (function, source, nan, done) = Vector512.IsHardwareAccelerated ? Wide(x) : Portable(x);
            if (nan)
                return Scalar(x, Extremes.Empty, Extremes.Empty);
            return Scalar(x[done..], function, source);
        }

        // Two vectors per step with their own accumulators, so that consecutive min/max do not wait on one another.
        // NaN is tracked apart because the native min/max instructions drop it depending on operand order. The
        // accumulators are reduced here: vectors live across a call get spilled inside the loop.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private (Extremes Function, Extremes Source, bool NaN, int Done) Wide(ReadOnlySpan<float> x)
        {
            var function = f; // a local struct the JIT keeps in registers, constants included
            ref float start = ref MemoryMarshal.GetReference(x);
            var min0 = Vector512.Create(float.PositiveInfinity);
            var max0 = Vector512.Create(float.NegativeInfinity);
            var (min1, max1, xMin, xMax) = (min0, max0, min0, max0);
            var nan = Vector512<float>.Zero;
            int i = 0, step = Vector512<float>.Count;
            for (; i <= x.Length - 2 * step; i += 2 * step)
            {
                var u = Vector512.LoadUnsafe(ref start, (nuint)i);
                var v = Vector512.LoadUnsafe(ref start, (nuint)(i + step));
                var a = function.Apply(u);
                var b = function.Apply(v);
                min0 = Vector512.MinNative(min0, a);
                max0 = Vector512.MaxNative(max0, a);
                min1 = Vector512.MinNative(min1, b);
                max1 = Vector512.MaxNative(max1, b);
                xMin = Vector512.MinNative(xMin, Vector512.MinNative(u, v));
                xMax = Vector512.MaxNative(xMax, Vector512.MaxNative(u, v));
                nan |= ~Vector512.Equals(a, a) | ~Vector512.Equals(b, b) | ~Vector512.Equals(u, u) | ~Vector512.Equals(v, v);
            }
            Vector512<float> lo = Vector512.MinNative(min0, min1), hi = Vector512.MaxNative(max0, max1);
            Extremes range = Extremes.Empty, source = Extremes.Empty;
            for (int k = 0; k < step; k++)
                (range, source) = (range.Include(new Extremes(lo[k], hi[k])), source.Include(new Extremes(xMin[k], xMax[k])));
            return (range, source, nan != Vector512<float>.Zero, i);
        }

        /// <summary><see cref="Wide"/> with <see cref="Vector{T}"/>, for machines without 512-bit vectors.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private (Extremes Function, Extremes Source, bool NaN, int Done) Portable(ReadOnlySpan<float> x)
        {
            var function = f;
            ref float start = ref MemoryMarshal.GetReference(x);
            var min0 = new Vector<float>(float.PositiveInfinity);
            var max0 = new Vector<float>(float.NegativeInfinity);
            var (min1, max1, xMin, xMax) = (min0, max0, min0, max0);
            var nan = Vector<int>.Zero;
            int i = 0, step = Vector<float>.Count;
            for (; i <= x.Length - 2 * step; i += 2 * step)
            {
                var u = Vector.LoadUnsafe(ref start, (nuint)i);
                var v = Vector.LoadUnsafe(ref start, (nuint)(i + step));
                var a = function.Apply(u);
                var b = function.Apply(v);
                min0 = Vector.MinNative(min0, a);
                max0 = Vector.MaxNative(max0, a);
                min1 = Vector.MinNative(min1, b);
                max1 = Vector.MaxNative(max1, b);
                xMin = Vector.MinNative(xMin, Vector.MinNative(u, v));
                xMax = Vector.MaxNative(xMax, Vector.MaxNative(u, v));
                nan |= ~Vector.Equals(a, a) | ~Vector.Equals(b, b) | ~Vector.Equals(u, u) | ~Vector.Equals(v, v);
            }
            Vector<float> lo = Vector.MinNative(min0, min1), hi = Vector.MaxNative(max0, max1);
            Extremes range = Extremes.Empty, source = Extremes.Empty;
            for (int k = 0; k < step; k++)
                (range, source) = (range.Include(new Extremes(lo[k], hi[k])), source.Include(new Extremes(xMin[k], xMax[k])));
            return (range, source, nan != Vector<int>.Zero, i);
        }

        /// <summary>Folds <paramref name="x"/> into the ranges one value at a time, NaNs skipped.</summary>
        private (Extremes Function, Extremes Source) Scalar(ReadOnlySpan<float> x, Extremes function, Extremes source)
        {
            foreach (var v in x)
                (function, source) = (function.Include(f.Apply(v)), source.Include(v));
            return (function, source);
        }
    }
}
