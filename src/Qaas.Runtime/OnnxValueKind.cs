namespace Qaas.Runtime;

/// <summary>ONNXType from onnxruntime_c_api.h: what kind of value a graph input or output carries.</summary>
public enum OnnxValueKind
{
    Unknown = 0,
    Tensor = 1,
    Sequence = 2,
    Map = 3,
    Opaque = 4,
    SparseTensor = 5,
    Optional = 6,
}
