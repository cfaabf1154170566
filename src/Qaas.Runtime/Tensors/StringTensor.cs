using System.Buffers;

namespace Qaas.Runtime.Tensors;

/// <summary>A tensor of UTF-8 strings (ORT copies them into its own storage when a run starts).</summary>
public sealed class StringTensor : Tensor
{
    internal StringTensor(string[] data, ReadOnlySpan<long> shape) : base(TensorElementType.String, shape)
    {
        if (data.Length != ElementCount)
            throw new ArgumentException($"String tensor of shape [{string.Join(",", shape.ToArray())}] needs {ElementCount} strings, got {data.Length}.", nameof(data));
        Data = data;
    }

    public IReadOnlyList<string> Data { get; }

    internal override MemoryHandle PinData(out long byteCount) =>
        throw new NotSupportedException("String tensors are copied into ORT, not pinned.");
}
