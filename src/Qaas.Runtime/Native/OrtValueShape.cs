using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Native;

/// <summary>Element type and shape of an OrtValue that must be a tensor.</summary>
internal static unsafe class OrtValueShape
{
    private const int OnnxTypeTensor = 1;

    /// <param name="name">The output's name, for the error when the value is not a tensor.</param>
    public static (TensorElementType Type, long[] Shape) Read(nint value, string name)
    {
        int valueType;
        OrtStatus.Check(OrtApi.GetValueType(value, &valueType));
        if (valueType != OnnxTypeTensor)
            throw new NotSupportedException($"Output '{name}' is a {(OnnxValueKind)valueType}, not a tensor; only tensors are supported.");

        using var info = new TensorTypeAndShapeInfoHandle();
        nint rawInfo;
        OrtStatus.Check(OrtApi.GetTensorTypeAndShape(value, &rawInfo));
        info.Attach(rawInfo);
        int elementType;
        nuint rank;
        OrtStatus.Check(OrtApi.GetTensorElementType(rawInfo, &elementType));
        OrtStatus.Check(OrtApi.GetDimensionsCount(rawInfo, &rank));
        var shape = new long[(int)rank];
        fixed (long* dims = shape)
            OrtStatus.Check(OrtApi.GetDimensions(rawInfo, dims, rank));
        return ((TensorElementType)elementType, shape);
    }
}
