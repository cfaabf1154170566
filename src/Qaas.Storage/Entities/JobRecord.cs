namespace Qaas.Storage.Entities;

public sealed class JobRecord : IKeysetRow
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid ModelId { get; set; }
    /// <summary>The fully expanded recipe as JSON (jsonb).</summary>
    public required string Recipe { get; set; }
    public string? Preset { get; set; }
    public Guid? CalibrationDatasetId { get; set; }
    public Guid? EvaluationDatasetId { get; set; }
    public string? InputShapes { get; set; }
    public required string Status { get; set; }
    public string? Stage { get; set; }
    public double Progress { get; set; }
    public required string Pool { get; set; }
    public int Priority { get; set; }
    public string? IdempotencyKey { get; set; }
    public string? RequestHash { get; set; }
    /// <summary>Problem details JSON when failed.</summary>
    public string? Error { get; set; }
    public string? Metrics { get; set; }
    public string? WebhookUrl { get; set; }
    public bool CancelRequested { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public List<ArtifactRecord> Artifacts { get; set; } = [];
}
