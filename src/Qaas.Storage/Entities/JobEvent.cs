namespace Qaas.Storage.Entities;

/// <summary>A progress, log or status event of a job; the id orders events and resumes SSE streams.</summary>
public sealed class JobEvent
{
    public long Id { get; set; }
    public Guid JobId { get; set; }
    public required string Type { get; set; }
    public required string Payload { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
