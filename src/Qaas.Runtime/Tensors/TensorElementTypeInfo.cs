namespace Qaas.Runtime.Tensors;

/// <summary>Sizes of element types and their managed counterparts.</summary>
public static class TensorElementTypeInfo
{
    /// <summary>The element type a managed element type stands for (byte means UInt8; packed types use <see cref="Tensor.FromBytes"/>).</summary>
    public static TensorElementType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return TensorElementType.Float;
        if (typeof(T) == typeof(double)) return TensorElementType.Double;
        if (typeof(T) == typeof(Half)) return TensorElementType.Float16;
        if (typeof(T) == typeof(BFloat16)) return TensorElementType.BFloat16;
        if (typeof(T) == typeof(sbyte)) return TensorElementType.Int8;
        if (typeof(T) == typeof(byte)) return TensorElementType.UInt8;
        if (typeof(T) == typeof(short)) return TensorElementType.Int16;
        if (typeof(T) == typeof(ushort)) return TensorElementType.UInt16;
        if (typeof(T) == typeof(int)) return TensorElementType.Int32;
        if (typeof(T) == typeof(uint)) return TensorElementType.UInt32;
        if (typeof(T) == typeof(long)) return TensorElementType.Int64;
        if (typeof(T) == typeof(ulong)) return TensorElementType.UInt64;
        if (typeof(T) == typeof(bool)) return TensorElementType.Bool;
        throw new NotSupportedException($"{typeof(T).Name} is not a tensor element type.");
    }

    /// <summary>The managed type a tensor of this element type holds: sub-byte and float8 types are held as packed bytes.</summary>
    public static Type ClrType(TensorElementType type) => type switch
    {
        TensorElementType.Float => typeof(float),
        TensorElementType.Double => typeof(double),
        TensorElementType.Float16 => typeof(Half),
        TensorElementType.BFloat16 => typeof(BFloat16),
        TensorElementType.Int8 => typeof(sbyte),
        TensorElementType.UInt8 => typeof(byte),
        TensorElementType.Int16 => typeof(short),
        TensorElementType.UInt16 => typeof(ushort),
        TensorElementType.Int32 => typeof(int),
        TensorElementType.UInt32 => typeof(uint),
        TensorElementType.Int64 => typeof(long),
        TensorElementType.UInt64 => typeof(ulong),
        TensorElementType.Bool => typeof(bool),
        TensorElementType.String => typeof(string),
        _ when IsPacked(type) => typeof(byte),
        _ => throw new NotSupportedException($"Element type {type} is not supported."),
    };

    /// <summary>Types whose elements are not a whole managed value (float8, 4- and 2-bit): held as raw bytes.</summary>
    public static bool IsPacked(TensorElementType type) => type is
        TensorElementType.Float8E4M3FN or TensorElementType.Float8E4M3FNUZ or TensorElementType.Float8E5M2 or
        TensorElementType.Float8E5M2FNUZ or TensorElementType.Float8E8M0 or
        TensorElementType.UInt4 or TensorElementType.Int4 or TensorElementType.Float4E2M1 or
        TensorElementType.UInt2 or TensorElementType.Int2;

    public static int BitsPerElement(TensorElementType type) => type switch
    {
        TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Complex64 => 64,
        TensorElementType.Complex128 => 128,
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 32,
        TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int16 or TensorElementType.UInt16 => 16,
        TensorElementType.UInt4 or TensorElementType.Int4 or TensorElementType.Float4E2M1 => 4,
        TensorElementType.UInt2 or TensorElementType.Int2 => 2,
        TensorElementType.String or TensorElementType.Undefined => throw new NotSupportedException($"{type} has no fixed size."),
        _ => 8,
    };

    /// <summary>Bytes needed for <paramref name="elementCount"/> elements (sub-byte types pack and round up).</summary>
    public static long ByteCount(TensorElementType type, long elementCount)
    {
        var bits = BitsPerElement(type);
        return (elementCount * bits + 7) / 8;
    }
}
