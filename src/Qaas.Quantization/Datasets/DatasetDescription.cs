namespace Qaas.Quantization.Datasets;

/// <summary>What an uploaded dataset holds, as the API reports and stores it.</summary>
/// <param name="Format">"npz" or "onnx-test-data".</param>
public sealed record DatasetDescription(string Format, int Samples, IReadOnlyList<DatasetArray> Arrays, bool HasLabels);

/// <param name="Shape">The full shape, first axis = samples.</param>
/// <param name="DType">The ONNX element type name ("float32", "int64", ...).</param>
/// <param name="Position">The input position K for ONNX test data whose tensors carry no name; null otherwise.</param>
public sealed record DatasetArray(string Name, IReadOnlyList<long> Shape, string DType, int? Position = null);
