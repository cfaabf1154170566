using System.Runtime.InteropServices;
using Qaas.Runtime.Native;
using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Sessions;

/// <summary>Reads names and type information of a session's inputs and outputs.</summary>
internal static unsafe class MetadataReader
{
    public static ValueMetadata[] ReadInputs(SessionHandle session) => Read(session, isInput: true);

    public static ValueMetadata[] ReadOutputs(SessionHandle session) => Read(session, isInput: false);

    private static ValueMetadata[] Read(SessionHandle session, bool isInput)
    {
        var raw = session.DangerousGetHandle();
        nuint count;
        OrtStatus.Check(isInput ? OrtApi.SessionGetInputCount(raw, &count) : OrtApi.SessionGetOutputCount(raw, &count));
        var result = new ValueMetadata[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            var name = ReadName(raw, i, isInput);
            using var typeInfo = new TypeInfoHandle();
            nint rawTypeInfo;
            OrtStatus.Check(isInput
                ? OrtApi.SessionGetInputTypeInfo(raw, i, &rawTypeInfo)
                : OrtApi.SessionGetOutputTypeInfo(raw, i, &rawTypeInfo));
            typeInfo.Attach(rawTypeInfo);
            result[(int)i] = Describe(name, rawTypeInfo);
        }
        return result;
    }

    private static string ReadName(nint session, nuint index, bool isInput)
    {
        byte* name;
        OrtStatus.Check(isInput
            ? OrtApi.SessionGetInputName(session, index, CpuMemory.DefaultAllocator, &name)
            : OrtApi.SessionGetOutputName(session, index, CpuMemory.DefaultAllocator, &name));
        try
        {
            return Marshal.PtrToStringUTF8((nint)name) ?? "";
        }
        finally
        {
            CpuMemory.Free(name);
        }
    }

    private static ValueMetadata Describe(string name, nint typeInfo)
    {
        int kind;
        OrtStatus.Check(OrtApi.GetOnnxTypeFromTypeInfo(typeInfo, &kind));
        if ((OnnxValueKind)kind != OnnxValueKind.Tensor && (OnnxValueKind)kind != OnnxValueKind.SparseTensor)
            return new ValueMetadata(name, (OnnxValueKind)kind, TensorElementType.Undefined, [], [], HasShape: false);

        // The tensor info belongs to the type info: it is not released separately.
        nint tensorInfo;
        OrtStatus.Check(OrtApi.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo));
        int elementType;
        nuint rank;
        byte hasShape;
        OrtStatus.Check(OrtApi.GetTensorElementType(tensorInfo, &elementType));
        OrtStatus.Check(OrtApi.GetDimensionsCount(tensorInfo, &rank));
        hasShape = OrtApi.TensorTypeAndShape_HasShape(tensorInfo);

        var shape = new long[(int)rank];
        var symbolic = new string[(int)rank];
        var symbolicPointers = new nint[(int)rank];
        fixed (long* dims = shape)
        fixed (nint* names = symbolicPointers)
        {
            OrtStatus.Check(OrtApi.GetDimensions(tensorInfo, dims, rank));
            OrtStatus.Check(OrtApi.GetSymbolicDimensions(tensorInfo, (byte**)names, rank));
        }
        for (var d = 0; d < symbolic.Length; d++)
            symbolic[d] = Marshal.PtrToStringUTF8(symbolicPointers[d]) ?? "";

        return new ValueMetadata(name, (OnnxValueKind)kind, (TensorElementType)elementType, shape, symbolic, hasShape != 0);
    }
}
