using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Qaas.Quantization.Formats;

/// <summary>IEEE binary16 conversions (round to nearest even; overflow becomes infinity, as an ONNX Cast does).</summary>
public static class Float16Conversion
{
    public static void ToHalf(ReadOnlySpan<float> x, Span<Half> h) => TensorPrimitives.ConvertToHalf(x, h);

    public static void ToFloat(ReadOnlySpan<Half> h, Span<float> x) => TensorPrimitives.ConvertToSingle(h, x);

    /// <summary>Raw binary16 bit patterns, the layout of an ONNX FLOAT16 tensor's raw_data.</summary>
    public static void ToBits(ReadOnlySpan<float> x, Span<ushort> bits) => ToHalf(x, MemoryMarshal.Cast<ushort, Half>(bits));

    public static void FromBits(ReadOnlySpan<ushort> bits, Span<float> x) => ToFloat(MemoryMarshal.Cast<ushort, Half>(bits), x);
}
