using System.Buffers;

namespace Qaas.Runtime.Tensors;

/// <summary>A tensor of fixed-size elements backed by managed memory (not copied when passed to a run).</summary>
public sealed class Tensor<T> : Tensor where T : unmanaged
{
    internal Tensor(TensorElementType elementType, ReadOnlyMemory<T> data, ReadOnlySpan<long> shape)
        : base(elementType, shape)
    {
        var expected = TensorElementTypeInfo.IsPacked(elementType)
            ? TensorElementTypeInfo.ByteCount(elementType, ElementCount)
            : ElementCount;
        if (data.Length != expected)
            throw new ArgumentException(
                $"{elementType} tensor of shape [{string.Join(",", shape.ToArray())}] needs {expected} {typeof(T).Name} values, got {data.Length}.",
                nameof(data));
        Data = data;
    }

    public ReadOnlyMemory<T> Data { get; }

    internal override unsafe MemoryHandle PinData(out long byteCount)
    {
        byteCount = (long)Data.Length * sizeof(T);
        return Data.Pin();
    }
}
