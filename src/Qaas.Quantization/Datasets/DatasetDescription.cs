namespace Qaas.Quantization.Datasets;

/// <summary>What an uploaded dataset holds, as the API reports it.</summary>
/// <param name="Format">"npz" or "onnx-test-data".</param>
public sealed record DatasetDescription(string Format, int Samples, IReadOnlyList<DatasetArrayInfo> Arrays, bool HasLabels);

/// <param name="Shape">The full shape, first axis = samples.</param>
/// <param name="Position">The input position K for ONNX test data whose tensors carry no name; null otherwise.</param>
public sealed record DatasetArrayInfo(string Name, string Dtype, long[] Shape, int? Position = null);
