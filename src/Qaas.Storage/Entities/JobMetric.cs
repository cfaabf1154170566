namespace Qaas.Storage.Entities;

public sealed class JobMetric
{
    public Guid JobId { get; set; }
    public required string Name { get; set; }
    public double Value { get; set; }
}
