using Microsoft.EntityFrameworkCore;
using Qaas.Api.Auth;
using Qaas.Api.Contracts;
using Qaas.Api.Hosting;
using Qaas.Api.Paging;
using Qaas.Api.Problems;
using Qaas.Storage;
using Qaas.Storage.Entities;

namespace Qaas.Api.Endpoints;

/// <summary>Admin: POST/GET/DELETE /v1/keys. The secret is returned once, at creation.</summary>
public static class KeysEndpoints
{
    public static void MapKeys(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/keys").WithTags("Admin").RequireAuthorization(QaasClaims.AdminPolicy);
        g.MapPost("", Create).Accepts<KeyRequest>("application/json").Produces<CreatedKeyResponse>(201).ProducesProblem(400).ProducesProblem(404);
        g.MapGet("", List).Produces<Page<KeyResponse>>();
        g.MapDelete("/{id:guid}", Revoke).Produces(204).ProducesProblem(404);
    }

    private static async Task<IResult> Create(HttpRequest request, QaasDbContext db, CancellationToken ct)
    {
        var body = await StrictBody.ReadAsync<KeyRequest>(request, ct);
        var role = body.Role ?? Roles.Member;
        if (!Roles.IsValid(role)) throw ApiProblemException.Field("role", $"must be '{Roles.Admin}' or '{Roles.Member}'.");
        var tenantId = body.TenantId ?? request.HttpContext.User.GetTenantId();
        if (!await db.Tenants.AnyAsync(t => t.Id == tenantId, ct)) throw new ApiProblemException(404, $"tenantId: tenant {tenantId} was not found.");
        if (body.Name is { Length: > 100 }) throw ApiProblemException.Field("name", "must be at most 100 characters.");
        var secret = ApiKeySecrets.Generate();
        var key = BootstrapApiKey.NewKey(tenantId, string.IsNullOrWhiteSpace(body.Name) ? "key" : body.Name.Trim(), secret, role);
        key.CreatedAt = Timestamps.Now();
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return Results.Created($"/v1/keys/{key.Id}", new CreatedKeyResponse(key.Id, key.Name, key.Prefix, key.Role, key.TenantId, key.CreatedAt, secret));
    }

    /// <summary>Newest first, paged like every list (DESIGN.md: limit, cursor; items, next).</summary>
    private static async Task<Page<KeyResponse>> List(Guid? tenantId, int? limit, string? cursor, QaasDbContext db, CancellationToken ct)
    {
        var q = db.ApiKeys.AsNoTracking();
        if (tenantId is not null) q = q.Where(k => k.TenantId == tenantId);
        return await KeysetPage.ReadAsync(q, limit, cursor, k => new KeyResponse(k.Id, k.Name, k.Prefix, k.Role, k.TenantId, k.CreatedAt, k.RevokedAt), ct);
    }

    private static async Task<IResult> Revoke(Guid id, QaasDbContext db, CancellationToken ct)
    {
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct) ?? throw ApiProblemException.NotFound("API key", id);
        key.RevokedAt ??= Timestamps.Now();
        await db.SaveChangesAsync(ct);
        return Results.NoContent();
    }
}
