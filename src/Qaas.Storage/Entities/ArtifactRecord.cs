namespace Qaas.Storage.Entities;

public sealed class ArtifactRecord
{
    public Guid JobId { get; set; }
    public required string Name { get; set; }
    public required string BlobSha256 { get; set; }
    public long SizeBytes { get; set; }
    public required string ContentType { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
