using System.Runtime.InteropServices;
using Qaas.Onnx.Proto;
using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Tests.Conformance;

/// <summary>Turns a TensorProto from the ONNX test data into a runtime <see cref="Tensor"/>.</summary>
public static class TensorProtoConverter
{
    /// <summary>Converts <paramref name="proto"/>; <paramref name="declared"/> is the graph's element type for it, used to
    /// undo the ONNX 1.12 test generator's habit of storing bfloat16 tensors as uint16 bit patterns.</summary>
    public static Tensor ToTensor(TensorProto proto, TensorElementType declared)
    {
        var tensor = ToTensor(proto);
        if (declared == TensorElementType.BFloat16 && tensor.ElementType == TensorElementType.UInt16)
        {
            var bits = tensor.AsSpan<ushort>().ToArray();
            return Tensor.Create(bits.Select(b => new BFloat16(b)).ToArray(), tensor.Shape.ToArray());
        }
        return tensor;
    }

    public static Tensor ToTensor(TensorProto proto)
    {
        var type = (TensorElementType)proto.DataType;
        var shape = proto.Dims.ToArray();
        if (type == TensorElementType.String)
            return Tensor.Create(proto.StringData.Select(s => s.ToStringUtf8()).ToArray(), shape);
        if (!proto.RawData.IsEmpty)
            return Tensor.FromBytes(type, proto.RawData.ToByteArray(), shape);

        return type switch
        {
            TensorElementType.Float => Tensor.Create(proto.FloatData.ToArray(), shape),
            TensorElementType.Double => Tensor.Create(proto.DoubleData.ToArray(), shape),
            TensorElementType.Int64 => Tensor.Create(proto.Int64Data.ToArray(), shape),
            TensorElementType.UInt64 => Tensor.Create(proto.Uint64Data.ToArray(), shape),
            TensorElementType.UInt32 => Tensor.Create(proto.Uint64Data.Select(v => (uint)v).ToArray(), shape),
            TensorElementType.Int32 => Tensor.Create(proto.Int32Data.ToArray(), shape),
            TensorElementType.Int16 => Tensor.Create(proto.Int32Data.Select(v => (short)v).ToArray(), shape),
            TensorElementType.UInt16 => Tensor.Create(proto.Int32Data.Select(v => (ushort)v).ToArray(), shape),
            TensorElementType.Int8 => Tensor.Create(proto.Int32Data.Select(v => (sbyte)v).ToArray(), shape),
            TensorElementType.UInt8 => Tensor.Create(proto.Int32Data.Select(v => (byte)v).ToArray(), shape),
            TensorElementType.Bool => Tensor.Create(proto.Int32Data.Select(v => v != 0).ToArray(), shape),
            // 16-bit floats travel as their bit patterns in int32_data.
            TensorElementType.Float16 => Tensor.Create(proto.Int32Data.Select(v => BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(), shape),
            TensorElementType.BFloat16 => Tensor.Create(proto.Int32Data.Select(v => new BFloat16((ushort)v)).ToArray(), shape),
            _ => throw new NotSupportedException($"TensorProto element type {type} without raw_data is not supported."),
        };
    }
}
