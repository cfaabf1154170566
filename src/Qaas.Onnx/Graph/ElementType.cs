using Qaas.Onnx.Proto;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Onnx.Graph;

/// <summary>Names and storage sizes of ONNX element types (TensorProto.DataType).</summary>
public static class ElementType
{
    /// <summary>Short lowercase name used in the API: "float32", "float16", "int8", "float8e4m3fn", ...</summary>
    public static string Name(int dataType) => (DT)dataType switch
    {
        DT.Float => "float32",
        DT.Uint8 => "uint8",
        DT.Int8 => "int8",
        DT.Uint16 => "uint16",
        DT.Int16 => "int16",
        DT.Int32 => "int32",
        DT.Int64 => "int64",
        DT.String => "string",
        DT.Bool => "bool",
        DT.Float16 => "float16",
        DT.Double => "float64",
        DT.Uint32 => "uint32",
        DT.Uint64 => "uint64",
        DT.Complex64 => "complex64",
        DT.Complex128 => "complex128",
        DT.Bfloat16 => "bfloat16",
        DT.Float8E4M3Fn => "float8e4m3fn",
        DT.Float8E4M3Fnuz => "float8e4m3fnuz",
        DT.Float8E5M2 => "float8e5m2",
        DT.Float8E5M2Fnuz => "float8e5m2fnuz",
        DT.Uint4 => "uint4",
        DT.Int4 => "int4",
        DT.Float4E2M1 => "float4e2m1",
        DT.Float8E8M0 => "float8e8m0",
        DT.Undefined => "undefined",
        _ => $"unknown({dataType})",
    };

    /// <summary>Storage bits per element (4 for packed 4-bit types); 0 for strings and unknown types.</summary>
    public static int BitsPerElement(int dataType) => (DT)dataType switch
    {
        DT.Float or DT.Int32 or DT.Uint32 => 32,
        DT.Uint8 or DT.Int8 or DT.Bool => 8,
        DT.Float8E4M3Fn or DT.Float8E4M3Fnuz or DT.Float8E5M2 or DT.Float8E5M2Fnuz or DT.Float8E8M0 => 8,
        DT.Uint16 or DT.Int16 or DT.Float16 or DT.Bfloat16 => 16,
        DT.Int64 or DT.Uint64 or DT.Double or DT.Complex64 => 64,
        DT.Complex128 => 128,
        DT.Uint4 or DT.Int4 or DT.Float4E2M1 => 4,
        _ => 0,
    };

    /// <summary>Bytes that <paramref name="elements"/> values take in raw_data (4-bit types pack two per byte); null for strings/unknown.</summary>
    public static long? ByteSize(int dataType, long elements)
    {
        var bits = BitsPerElement(dataType);
        if (bits == 0) return null;
        return bits == 4 ? (elements + 1) / 2 : checked(elements * (bits / 8));
    }
}

/// <summary>Element counts and byte sizes of TensorProtos.</summary>
public static class TensorLayout
{
    /// <summary>Product of dims (1 for a scalar); null when a dim is negative or the product overflows.</summary>
    public static long? ElementCount(IEnumerable<long> dims)
    {
        long n = 1;
        foreach (var d in dims)
        {
            if (d < 0) return null;
            try { n = checked(n * d); }
            catch (OverflowException) { return null; }
        }
        return n;
    }

    public static long? ElementCount(TensorProto t) => ElementCount(t.Dims);

    /// <summary>Bytes the tensor's values take as raw_data; null for strings, unknown types or absurd shapes.</summary>
    public static long? ByteSize(TensorProto t)
    {
        var n = ElementCount(t);
        if (n is null) return null;
        try { return ElementType.ByteSize(t.DataType, n.Value); }
        catch (OverflowException) { return null; }
    }
}
