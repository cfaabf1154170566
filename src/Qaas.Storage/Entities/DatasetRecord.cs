namespace Qaas.Storage.Entities;

public sealed class DatasetRecord : IKeysetRow
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public required string BlobSha256 { get; set; }
    public long SizeBytes { get; set; }
    public required string Format { get; set; }
    public int Samples { get; set; }
    /// <summary>Per-array name, shape and dtype as JSON (jsonb).</summary>
    public required string Arrays { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
