namespace Qaas.Api.Datasets;

/// <summary>
/// Sniffs and describes an uploaded dataset file (.npz, or a .zip of ONNX TensorProto files in the test-data layout).
/// Throws <see cref="DatasetFormatException"/> for anything else.
/// </summary>
public interface IDatasetReader
{
    Task<DatasetDescription> DescribeAsync(string path, CancellationToken ct);
}
