namespace Qaas.Storage.Entities;

/// <summary>An uploaded (or job-produced) ONNX model; the bytes live in the blob store.</summary>
public sealed class ModelRecord : IKeysetRow
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public required string BlobSha256 { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>The inspector's model description as JSON (jsonb).</summary>
    public required string Description { get; set; }
    public Guid? ParentModelId { get; set; }
    public Guid? JobId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<ModelFile> Files { get; set; } = [];
}
