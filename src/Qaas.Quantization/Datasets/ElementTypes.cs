using Qaas.Onnx.Proto;
using DataType = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Datasets;

/// <summary>NumPy dtype descriptors and ONNX element types: names and byte sizes of the types datasets may hold.</summary>
public static class ElementTypes
{
    public static DataType FromNpyDescr(string descr, string arrayName)
    {
        // '|' marks byte-sized types, '<' little-endian; big-endian ('>') data would need swapping.
        if (descr.Length < 2 || descr[0] == '>')
            throw new DatasetFormatException($"array '{arrayName}': dtype '{descr}' is not supported (little-endian numeric types only)");
        return descr[1..] switch
        {
            "f4" => DataType.Float,
            "f8" => DataType.Double,
            "f2" => DataType.Float16,
            "i1" => DataType.Int8,
            "u1" => DataType.Uint8,
            "i2" => DataType.Int16,
            "u2" => DataType.Uint16,
            "i4" => DataType.Int32,
            "u4" => DataType.Uint32,
            "i8" => DataType.Int64,
            "u8" => DataType.Uint64,
            "b1" => DataType.Bool,
            _ => throw new DatasetFormatException($"array '{arrayName}': dtype '{descr}' is not supported"),
        };
    }

    public static int SizeOf(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 or DataType.Uint64 => 8,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Int8 or DataType.Uint8 or DataType.Bool => 1,
        _ => throw new NotSupportedException($"element type {Name(type)} has no fixed byte size here"),
    };

    /// <summary>The lowercase name used in API responses ("float32", "int64", ...), as for model inputs.</summary>
    public static string Name(DataType type) => Qaas.Onnx.Graph.ElementType.Name((int)type);

    public static int SizeOf(TensorProto tensor) => SizeOf((DataType)tensor.DataType);

    /// <summary>Bytes an array of this shape and type takes; null when a dimension is negative or the count overflows.</summary>
    public static long? ByteCount(IEnumerable<long> shape, DataType type)
    {
        if (Qaas.Onnx.Graph.TensorLayout.ElementCount(shape) is not { } elements) return null;
        try { return checked(elements * SizeOf(type)); }
        catch (OverflowException) { return null; }
    }
}
