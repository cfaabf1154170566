using DataType = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Datasets;

/// <summary>One sample of one array: little-endian element bytes with their type and shape (no leading sample axis).</summary>
public sealed record SampleTensor(DataType Type, long[] Shape, byte[] Data);
