using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Tests.Conformance;

/// <summary>Compares an actual output with the reference: floats within rtol/atol (NaN equals NaN), everything else exactly.</summary>
public static class TensorComparer
{
    public const double RelativeTolerance = 1e-3;
    public const double AbsoluteTolerance = 1e-5;

    /// <summary>Null when equal, else a description of the first difference.</summary>
    public static string? Difference(Tensor expected, Tensor actual)
    {
        if (expected.ElementType != actual.ElementType)
            return $"element type {actual.ElementType}, expected {expected.ElementType}";
        if (!expected.Shape.SequenceEqual(actual.Shape))
            return $"shape [{string.Join(",", actual.Shape)}], expected [{string.Join(",", expected.Shape)}]";

        return expected.ElementType switch
        {
            TensorElementType.Float => Close(expected.AsSpan<float>(), actual.AsSpan<float>(), v => v),
            TensorElementType.Double => Close(expected.AsSpan<double>(), actual.AsSpan<double>(), v => v),
            TensorElementType.Float16 => Close(expected.AsSpan<Half>(), actual.AsSpan<Half>(), v => (double)v),
            TensorElementType.BFloat16 => Close(expected.AsSpan<BFloat16>(), actual.AsSpan<BFloat16>(), v => (float)v),
            TensorElementType.String => Exact(((StringTensor)expected).Data.ToArray(), ((StringTensor)actual).Data.ToArray()),
            TensorElementType.Bool => Exact(expected.AsSpan<bool>(), actual.AsSpan<bool>()),
            TensorElementType.Int8 => Exact(expected.AsSpan<sbyte>(), actual.AsSpan<sbyte>()),
            TensorElementType.Int16 => Exact(expected.AsSpan<short>(), actual.AsSpan<short>()),
            TensorElementType.Int32 => Exact(expected.AsSpan<int>(), actual.AsSpan<int>()),
            TensorElementType.Int64 => Exact(expected.AsSpan<long>(), actual.AsSpan<long>()),
            TensorElementType.UInt16 => Exact(expected.AsSpan<ushort>(), actual.AsSpan<ushort>()),
            TensorElementType.UInt32 => Exact(expected.AsSpan<uint>(), actual.AsSpan<uint>()),
            TensorElementType.UInt64 => Exact(expected.AsSpan<ulong>(), actual.AsSpan<ulong>()),
            _ => Exact(expected.AsSpan<byte>(), actual.AsSpan<byte>()), // uint8 and packed types: bytes
        };
    }

    private static string? Close<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, Func<T, double> toDouble)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            double e = toDouble(expected[i]), a = toDouble(actual[i]);
            if (double.IsNaN(e) && double.IsNaN(a))
                continue;
            if (e == a)
                continue; // also equal infinities
            if (!(Math.Abs(a - e) <= AbsoluteTolerance + RelativeTolerance * Math.Abs(e)))
                return $"element {i}: {a}, expected {e}";
        }
        return null;
    }

    private static string? Exact<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual) where T : IEquatable<T>
    {
        for (var i = 0; i < expected.Length; i++)
            if (!expected[i].Equals(actual[i]))
                return $"element {i}: {actual[i]}, expected {expected[i]}";
        return null;
    }
}
