using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.QOperator;

/// <summary>
/// A tensor held as integers, as a DequantizeLinear reads it or a QuantizeLinear writes it: the integer tensor's
/// name, the names of its scale and zero-point initializers, and their values.
/// </summary>
/// <param name="Values">The integer tensor (a DQ's input, or a Q's output).</param>
/// <param name="Axis">The per-channel axis (normalized to be non-negative when the rank is known), or null per tensor.</param>
/// <param name="Dims">The integer tensor's shape when it is an initializer, else null.</param>
internal sealed record QuantizedTensor(
    string Values, string Scale, string ZeroPoint, float[] Scales, int[] ZeroPoints, int ElementType, long? Axis, long[]? Dims)
{
    public bool PerTensor => Scales.Length == 1 && Axis is null;

    public bool Is8Bit => ElementType is (int)DT.Uint8 or (int)DT.Int8;

    public int QMin => ElementType == (int)DT.Int8 ? sbyte.MinValue : byte.MinValue;

    public int QMax => ElementType == (int)DT.Int8 ? sbyte.MaxValue : byte.MaxValue;

    public string TypeName => Onnx.Graph.ElementType.Name(ElementType);
}
