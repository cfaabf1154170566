namespace Qaas.Storage.Entities;

/// <summary>One file of a model set (the .onnx and its external data files).</summary>
public sealed class ModelFile
{
    public Guid ModelId { get; set; }
    public required string FileName { get; set; }
    public required string BlobSha256 { get; set; }
    public long SizeBytes { get; set; }
}
