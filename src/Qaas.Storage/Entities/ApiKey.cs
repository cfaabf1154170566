namespace Qaas.Storage.Entities;

/// <summary>An API key; only the SHA-256 of the secret is stored.</summary>
public sealed class ApiKey : IKeysetRow
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    /// <summary>The first characters of the secret, to tell keys apart in listings.</summary>
    public required string Prefix { get; set; }
    public required byte[] KeyHash { get; set; }
    public required string Role { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
