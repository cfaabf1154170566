using System.Runtime.InteropServices;
using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Onnx.Graph;

/// <summary>
/// Typed access to tensor values wherever ONNX keeps them: raw_data (little-endian), the typed fields
/// (float_data, int32_data, ...) or external data (streamed from the model's files through <see cref="OnnxModel"/>).
/// Also builds TensorProtos from spans (raw_data, little-endian).
/// </summary>
public static class TensorData
{
    /// <summary>Element types <typeparamref name="T"/> may be read as (the storage types, exactly; ushort for float16/bfloat16 bits, byte for 8-bit floats).</summary>
    public static bool CanRead<T>(int dataType) where T : unmanaged => (DT)dataType switch
    {
        DT.Float => typeof(T) == typeof(float),
        DT.Double => typeof(T) == typeof(double),
        DT.Float16 => typeof(T) == typeof(Half) || typeof(T) == typeof(ushort),
        DT.Bfloat16 => typeof(T) == typeof(ushort),
        DT.Int8 => typeof(T) == typeof(sbyte),
        DT.Uint8 => typeof(T) == typeof(byte),
        DT.Int16 => typeof(T) == typeof(short),
        DT.Uint16 => typeof(T) == typeof(ushort),
        DT.Int32 => typeof(T) == typeof(int),
        DT.Uint32 => typeof(T) == typeof(uint),
        DT.Int64 => typeof(T) == typeof(long),
        DT.Uint64 => typeof(T) == typeof(ulong),
        DT.Bool => typeof(T) == typeof(bool) || typeof(T) == typeof(byte),
        DT.Float8E4M3Fn or DT.Float8E4M3Fnuz or DT.Float8E5M2 or DT.Float8E5M2Fnuz or DT.Float8E8M0 => typeof(T) == typeof(byte),
        _ => false,
    };

    /// <summary>The values of <paramref name="t"/> as a new array. External data needs the <paramref name="model"/> it came from.</summary>
    public static T[] Read<T>(TensorProto t, OnnxModel? model = null) where T : unmanaged
    {
        var n = TensorLayout.ElementCount(t) ?? throw new OnnxFormatException($"tensor '{t.Name}' has an invalid shape");
        var result = new T[n];
        Read(t, result.AsSpan(), model);
        return result;
    }

    /// <summary>Copies the values of <paramref name="t"/> into <paramref name="destination"/> (length = element count).</summary>
    public static void Read<T>(TensorProto t, Span<T> destination, OnnxModel? model = null) where T : unmanaged
    {
        if (!CanRead<T>(t.DataType))
            throw new InvalidOperationException($"tensor '{t.Name}' is {ElementType.Name(t.DataType)}; it cannot be read as {typeof(T).Name}");
        var n = TensorLayout.ElementCount(t) ?? throw new OnnxFormatException($"tensor '{t.Name}' has an invalid shape");
        if (destination.Length != n)
            throw new ArgumentException($"tensor '{t.Name}' has {n} elements, the destination {destination.Length}");
        var bytes = MemoryMarshal.AsBytes(destination);
        if (ExternalDataReference.IsExternal(t))
        {
            if (model is null) throw new InvalidOperationException($"tensor '{t.Name}' has external data: pass the OnnxModel it belongs to");
            using var s = model.OpenTensorData(t);
            s.ReadExactly(bytes);
            return;
        }
        if (t.HasRawData)
        {
            if (t.RawData.Length != bytes.Length)
                throw new OnnxFormatException($"tensor '{t.Name}' has {t.RawData.Length} bytes of raw_data; its shape and type need {bytes.Length}");
            t.RawData.Span.CopyTo(bytes);
            return;
        }
        ReadTypedFields(t, destination);
    }

    /// <summary>Any numeric tensor (float32/16, bfloat16, double, integers, bool) converted to float32.</summary>
    public static float[] ReadAsFloat(TensorProto t, OnnxModel? model = null)
    {
        switch ((DT)t.DataType)
        {
            case DT.Float: return Read<float>(t, model);
            case DT.Float16:
            {
                var bits = Read<ushort>(t, model);
                var r = new float[bits.Length];
                FloatBits.HalfToFloat(bits, r);
                return r;
            }
            case DT.Bfloat16:
            {
                var bits = Read<ushort>(t, model);
                var r = new float[bits.Length];
                FloatBits.BFloat16ToFloat(bits, r);
                return r;
            }
            case DT.Double: return Array.ConvertAll(Read<double>(t, model), v => (float)v);
            case DT.Int8: return Array.ConvertAll(Read<sbyte>(t, model), v => (float)v);
            case DT.Uint8: return Array.ConvertAll(Read<byte>(t, model), v => (float)v);
            case DT.Int16: return Array.ConvertAll(Read<short>(t, model), v => (float)v);
            case DT.Uint16: return Array.ConvertAll(Read<ushort>(t, model), v => (float)v);
            case DT.Int32: return Array.ConvertAll(Read<int>(t, model), v => (float)v);
            case DT.Uint32: return Array.ConvertAll(Read<uint>(t, model), v => (float)v);
            case DT.Int64: return Array.ConvertAll(Read<long>(t, model), v => (float)v);
            case DT.Uint64: return Array.ConvertAll(Read<ulong>(t, model), v => (float)v);
            case DT.Bool: return Array.ConvertAll(Read<byte>(t, model), v => v != 0 ? 1f : 0f);
            default: throw new InvalidOperationException($"tensor '{t.Name}' is {ElementType.Name(t.DataType)}; it has no float32 view");
        }
    }

    /// <summary>The element type a CLR type is stored as (ushort maps to uint16; use <see cref="Create{T}(string, ReadOnlySpan{T}, ReadOnlySpan{long}, int)"/> with a data type for float16/bfloat16 bits).</summary>
    public static int DataTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? (int)DT.Float :
        typeof(T) == typeof(double) ? (int)DT.Double :
        typeof(T) == typeof(Half) ? (int)DT.Float16 :
        typeof(T) == typeof(sbyte) ? (int)DT.Int8 :
        typeof(T) == typeof(byte) ? (int)DT.Uint8 :
        typeof(T) == typeof(short) ? (int)DT.Int16 :
        typeof(T) == typeof(ushort) ? (int)DT.Uint16 :
        typeof(T) == typeof(int) ? (int)DT.Int32 :
        typeof(T) == typeof(uint) ? (int)DT.Uint32 :
        typeof(T) == typeof(long) ? (int)DT.Int64 :
        typeof(T) == typeof(ulong) ? (int)DT.Uint64 :
        typeof(T) == typeof(bool) ? (int)DT.Bool :
        throw new NotSupportedException($"{typeof(T).Name} has no ONNX element type");

    /// <summary>A tensor holding <paramref name="values"/> as little-endian raw_data.</summary>
    public static TensorProto Create<T>(string name, ReadOnlySpan<T> values, ReadOnlySpan<long> dims) where T : unmanaged =>
        Create(name, values, dims, DataTypeOf<T>());

    /// <summary>As above with an explicit element type, e.g. ushort bits as FLOAT16 or BFLOAT16, bytes as FLOAT8E4M3FN or packed INT4.</summary>
    public static TensorProto Create<T>(string name, ReadOnlySpan<T> values, ReadOnlySpan<long> dims, int dataType) where T : unmanaged
    {
        var t = new TensorProto { Name = name, DataType = dataType };
        foreach (var d in dims) t.Dims.Add(d);
        var need = TensorLayout.ByteSize(t);
        var bytes = MemoryMarshal.AsBytes(values);
        if (need is null || need != bytes.Length)
            throw new ArgumentException($"shape [{string.Join(",", dims.ToArray())}] of {ElementType.Name(dataType)} needs {need} bytes, got {bytes.Length}");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    private static void ReadTypedFields<T>(TensorProto t, Span<T> destination) where T : unmanaged
    {
        var type = (DT)t.DataType;
        int count = type switch
        {
            DT.Float => t.FloatData.Count,
            DT.Double => t.DoubleData.Count,
            DT.Int64 => t.Int64Data.Count,
            DT.Uint32 or DT.Uint64 => t.Uint64Data.Count,
            _ => t.Int32Data.Count,
        };
        if (count != destination.Length)
            throw new OnnxFormatException($"tensor '{t.Name}' holds {count} values but its shape needs {destination.Length}");
        switch (type)
        {
            case DT.Float: Copy(t.FloatData, MemoryMarshal.Cast<T, float>(destination)); break;
            case DT.Double: Copy(t.DoubleData, MemoryMarshal.Cast<T, double>(destination)); break;
            case DT.Int64: Copy(t.Int64Data, MemoryMarshal.Cast<T, long>(destination)); break;
            case DT.Uint64: Copy(t.Uint64Data, MemoryMarshal.Cast<T, ulong>(destination)); break;
            case DT.Uint32:
            {
                var d = MemoryMarshal.Cast<T, uint>(destination);
                for (var i = 0; i < d.Length; i++) d[i] = (uint)t.Uint64Data[i];
                break;
            }
            case DT.Int32: Copy(t.Int32Data, MemoryMarshal.Cast<T, int>(destination)); break;
            default:
            {
                // int32_data carries the narrow types one value per entry (16-bit floats as their bit patterns).
                var size = ElementType.BitsPerElement(t.DataType) / 8;
                var bytes = MemoryMarshal.AsBytes(destination);
                for (var i = 0; i < count; i++)
                {
                    var v = t.Int32Data[i];
                    if (size == 1) bytes[i] = (byte)v;
                    else { bytes[2 * i] = (byte)v; bytes[2 * i + 1] = (byte)(v >> 8); }
                }
                break;
            }
        }
    }

    private static void Copy<TV>(Google.Protobuf.Collections.RepeatedField<TV> source, Span<TV> destination)
    {
        for (var i = 0; i < destination.Length; i++) destination[i] = source[i];
    }
}
