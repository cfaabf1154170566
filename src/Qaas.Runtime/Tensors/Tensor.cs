using System.Buffers;

namespace Qaas.Runtime.Tensors;

/// <summary>A dense tensor in managed memory: element type, shape and data. Create with the static factories;
/// read with <see cref="AsSpan{T}"/> / <see cref="ToArray{T}"/> (numeric) or <see cref="StringTensor.Data"/>.</summary>
public abstract class Tensor
{
    private readonly long[] _shape;

    private protected Tensor(TensorElementType elementType, ReadOnlySpan<long> shape)
    {
        foreach (var d in shape)
            if (d < 0)
                throw new ArgumentException($"Shape [{string.Join(",", shape.ToArray())}] has a negative dimension.", nameof(shape));
        ElementType = elementType;
        _shape = shape.ToArray();
        ElementCount = ShapeElementCount(shape);
    }

    public TensorElementType ElementType { get; }

    public IReadOnlyList<long> Shape => _shape;

    public int Rank => _shape.Length;

    public long ElementCount { get; }

    internal ReadOnlySpan<long> ShapeSpan => _shape;

    public static Tensor<T> Create<T>(T[] data, params long[] shape) where T : unmanaged =>
        new(TensorElementTypeInfo.Of<T>(), data, shape);

    public static Tensor<T> Create<T>(ReadOnlyMemory<T> data, ReadOnlySpan<long> shape) where T : unmanaged =>
        new(TensorElementTypeInfo.Of<T>(), data, shape);

    public static StringTensor Create(string[] data, params long[] shape) => new(data, shape);

    /// <summary>A tensor of a packed type (float8, int4/uint4, float4, int2/uint2) from its raw little-endian bytes, or
    /// of any fixed-size type from its raw bytes.</summary>
    public static Tensor FromBytes(TensorElementType elementType, ReadOnlyMemory<byte> bytes, ReadOnlySpan<long> shape)
    {
        if (TensorElementTypeInfo.IsPacked(elementType) || elementType == TensorElementType.UInt8)
            return new Tensor<byte>(elementType, bytes, shape);
        var shapeArray = shape.ToArray();
        return elementType switch
        {
            TensorElementType.Float => Copy<float>(),
            TensorElementType.Double => Copy<double>(),
            TensorElementType.Float16 => Copy<Half>(),
            TensorElementType.BFloat16 => Copy<BFloat16>(),
            TensorElementType.Int8 => Copy<sbyte>(),
            TensorElementType.Int16 => Copy<short>(),
            TensorElementType.UInt16 => Copy<ushort>(),
            TensorElementType.Int32 => Copy<int>(),
            TensorElementType.UInt32 => Copy<uint>(),
            TensorElementType.Int64 => Copy<long>(),
            TensorElementType.UInt64 => Copy<ulong>(),
            TensorElementType.Bool => Copy<bool>(),
            _ => throw new NotSupportedException($"Element type {elementType} is not supported."),
        };

        Tensor<T> Copy<T>() where T : unmanaged
        {
            var data = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(bytes.Span).ToArray();
            return new Tensor<T>(elementType, data, shapeArray);
        }
    }

    /// <summary>The elements as <typeparamref name="T"/>; T must be the tensor's managed element type
    /// (<see cref="TensorElementTypeInfo.ClrType"/>).</summary>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged => this switch
    {
        Tensor<T> typed => typed.Data.Span,
        _ => throw new InvalidCastException(
            $"Tensor holds {ElementType} ({TensorElementTypeInfo.ClrType(ElementType).Name}), not {typeof(T).Name}."),
    };

    public T[] ToArray<T>() where T : unmanaged => AsSpan<T>().ToArray();

    public static long ShapeElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
            count = checked(count * d);
        return count;
    }

    public override string ToString() => $"{ElementType}[{string.Join(",", _shape)}]";

    /// <summary>Pins fixed-size data for the duration of a Run (ORT reads the buffer in place).</summary>
    internal abstract MemoryHandle PinData(out long byteCount);
}
