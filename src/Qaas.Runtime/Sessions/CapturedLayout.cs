using Qaas.Runtime.Native;
using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Sessions;

/// <summary>Where one captured output lives: element type, shape and data pointer of an ORT-owned tensor.</summary>
internal readonly unsafe struct CapturedLayout
{
    private CapturedLayout(TensorElementType elementType, long[] shape, nint data, long byteCount)
    {
        ElementType = elementType;
        Shape = shape;
        Data = data;
        ByteCount = byteCount;
    }

    public TensorElementType ElementType { get; }

    public long[] Shape { get; }

    public nint Data { get; }

    public long ByteCount { get; }

    public static CapturedLayout Read(nint value, string name)
    {
        var (type, shape) = OrtValueShape.Read(value, name);
        if (type == TensorElementType.String)
            throw new NotSupportedException($"Output '{name}' is a string tensor; only fixed-size element types can be captured in place.");
        var byteCount = TensorElementTypeInfo.ByteCount(type, Tensor.ShapeElementCount(shape));
        void* data = null;
        if (byteCount > 0)
            OrtStatus.Check(OrtApi.GetTensorMutableData(value, &data));
        return new CapturedLayout(type, shape, (nint)data, byteCount);
    }
}
