namespace Qaas.Storage.Entities;

/// <summary>A row that lists page through newest first, by (created_at DESC, id DESC).</summary>
public interface IKeysetRow
{
    Guid Id { get; }
    DateTimeOffset CreatedAt { get; }
}
