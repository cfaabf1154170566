namespace Qaas.Storage.Entities;

public sealed class Tenant : IKeysetRow
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
