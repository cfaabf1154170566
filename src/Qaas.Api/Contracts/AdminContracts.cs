namespace Qaas.Api.Contracts;

public sealed record TenantRequest(string? Name);
public sealed record TenantResponse(Guid Id, string Name, DateTimeOffset CreatedAt);
public sealed record KeyRequest(string? Name, string? Role, Guid? TenantId);
public sealed record KeyResponse(Guid Id, string Name, string Prefix, string Role, Guid TenantId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
/// <summary>The one response that carries the secret: the key's creation.</summary>
public sealed record CreatedKeyResponse(Guid Id, string Name, string Prefix, string Role, Guid TenantId, DateTimeOffset CreatedAt, string Key);
