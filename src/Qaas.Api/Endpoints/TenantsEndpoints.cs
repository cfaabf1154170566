using Microsoft.EntityFrameworkCore;
using Npgsql;
using Qaas.Api.Auth;
using Qaas.Api.Contracts;
using Qaas.Api.Hosting;
using Qaas.Api.Paging;
using Qaas.Api.Problems;
using Qaas.Storage;
using Qaas.Storage.Entities;

namespace Qaas.Api.Endpoints;

/// <summary>Admin: POST/GET /v1/tenants.</summary>
public static class TenantsEndpoints
{
    public static void MapTenants(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/tenants").WithTags("Admin").RequireAuthorization(QaasClaims.AdminPolicy);
        g.MapPost("", Create).Accepts<TenantRequest>("application/json").Produces<TenantResponse>(201).ProducesProblem(400).ProducesProblem(409);
        g.MapGet("", List).Produces<Page<TenantResponse>>();
    }

    /// <summary>Newest first, paged like every list (DESIGN.md: limit, cursor; items, next).</summary>
    private static Task<Page<TenantResponse>> List(int? limit, string? cursor, QaasDbContext db, CancellationToken ct) =>
        KeysetPage.ReadAsync(db.Tenants.AsNoTracking(), limit, cursor, t => new TenantResponse(t.Id, t.Name, t.CreatedAt), ct);

    private static async Task<IResult> Create(HttpRequest request, QaasDbContext db, CancellationToken ct)
    {
        var body = await StrictBody.ReadAsync<TenantRequest>(request, ct);
        var name = body.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100) throw ApiProblemException.Field("name", "is required (1 to 100 characters).");
        var tenant = new Tenant { Id = Guid.NewGuid(), Name = name, CreatedAt = Timestamps.Now() };
        db.Tenants.Add(tenant);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            throw new ApiProblemException(409, $"A tenant named '{name}' exists.");
        }
        return Results.Created($"/v1/tenants/{tenant.Id}", new TenantResponse(tenant.Id, tenant.Name, tenant.CreatedAt));
    }
}
