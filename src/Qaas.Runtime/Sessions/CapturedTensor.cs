using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Sessions;

/// <summary>One output of an <see cref="OutputCapture"/>'s last run, read in place. Every member throws once a later
/// run (or disposal) has overwritten the buffer, so a stale view cannot silently show another run's values.</summary>
public readonly unsafe struct CapturedTensor
{
    private readonly OutputCapture _capture;
    private readonly int _index;
    private readonly int _generation;

    internal CapturedTensor(OutputCapture capture, int index, int generation)
    {
        _capture = capture;
        _index = index;
        _generation = generation;
    }

    public string Name => _capture.Names[_index];

    public TensorElementType ElementType => Layout.ElementType;

    public IReadOnlyList<long> Shape => Layout.Shape;

    public long ElementCount => Tensor.ShapeElementCount(Layout.Shape);

    /// <summary>The elements over ORT's buffer, no copy; <typeparamref name="T"/> must be the element type's CLR type.</summary>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged
    {
        ref readonly var layout = ref Layout;
        if (TensorElementTypeInfo.ClrType(layout.ElementType) != typeof(T))
            throw new InvalidCastException(
                $"Captured output '{Name}' holds {layout.ElementType} ({TensorElementTypeInfo.ClrType(layout.ElementType).Name}), not {typeof(T).Name}.");
        return new ReadOnlySpan<T>((void*)layout.Data, checked((int)(layout.ByteCount / sizeof(T))));
    }

    /// <summary>A managed copy that stays valid after later runs.</summary>
    public Tensor ToTensor()
    {
        ref readonly var layout = ref Layout;
        var bytes = new ReadOnlySpan<byte>((void*)layout.Data, checked((int)layout.ByteCount)).ToArray();
        return Tensor.FromBytes(layout.ElementType, bytes, layout.Shape);
    }

    public override string ToString() => $"{Name}: {ElementType}[{string.Join(",", Shape)}]";

    private ref readonly CapturedLayout Layout => ref _capture.Layout(_index, _generation);
}
