using System.Runtime.InteropServices;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Onnx.Graph;

/// <summary>A tensor's values as little-endian raw bytes, whichever field or file they are stored in.</summary>
public static class TensorBytes
{
    public static byte[] ReadRaw(TensorProto t, OnnxModel? model = null)
    {
        if (ExternalDataReference.IsExternal(t) || t.HasRawData)
        {
            if (!ExternalDataReference.IsExternal(t)) return t.RawData.ToByteArray();
            if (model is null) throw new InvalidOperationException($"tensor '{t.Name}' has external data: pass its OnnxModel");
            using var s = model.OpenTensorData(t);
            var buffer = new byte[s.Length];
            s.ReadExactly(buffer);
            return buffer;
        }
        var size = TensorLayout.ByteSize(t) ?? throw new InvalidOperationException($"tensor '{t.Name}' ({ElementType.Name(t.DataType)}) has no fixed-size raw form");
        var bytes = new byte[size];
        switch ((DT)t.DataType)
        {
            case DT.Float: TensorData.Read(t, MemoryMarshal.Cast<byte, float>(bytes.AsSpan()), model); break;
            case DT.Double: TensorData.Read(t, MemoryMarshal.Cast<byte, double>(bytes.AsSpan()), model); break;
            case DT.Int64: TensorData.Read(t, MemoryMarshal.Cast<byte, long>(bytes.AsSpan()), model); break;
            case DT.Uint64: TensorData.Read(t, MemoryMarshal.Cast<byte, ulong>(bytes.AsSpan()), model); break;
            case DT.Int32: TensorData.Read(t, MemoryMarshal.Cast<byte, int>(bytes.AsSpan()), model); break;
            case DT.Uint32: TensorData.Read(t, MemoryMarshal.Cast<byte, uint>(bytes.AsSpan()), model); break;
            case DT.Int16: TensorData.Read(t, MemoryMarshal.Cast<byte, short>(bytes.AsSpan()), model); break;
            case DT.Uint16 or DT.Float16 or DT.Bfloat16: TensorData.Read(t, MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan()), model); break;
            case DT.Int8: TensorData.Read(t, MemoryMarshal.Cast<byte, sbyte>(bytes.AsSpan()), model); break;
            case DT.Uint8 or DT.Bool or DT.Float8E4M3Fn or DT.Float8E4M3Fnuz or DT.Float8E5M2 or DT.Float8E5M2Fnuz or DT.Float8E8M0:
                TensorData.Read(t, bytes.AsSpan(), model); break;
            default: throw new InvalidOperationException($"tensor '{t.Name}' ({ElementType.Name(t.DataType)}) in typed fields cannot be converted to raw bytes");
        }
        return bytes;
    }
}
