using Microsoft.EntityFrameworkCore;
using Qaas.Api.Hosting;
using Qaas.Storage;
using Qaas.Storage.Entities;

namespace Qaas.Api.Auth;

/// <summary>
/// Makes the service reachable on first start: QAAS_BOOTSTRAP_API_KEY is guaranteed to exist (admin of the default tenant);
/// without it and with no key at all, a key is generated, printed once and written to $QAAS_DATA_DIR/api-key (0600).
/// </summary>
public static class BootstrapApiKey
{
    public const string DefaultTenant = "default";

    public static async Task EnsureAsync(IServiceProvider services, IConfiguration config, ILogger logger, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<QaasDbContext>();
        var tenant = await EnsureDefaultTenantAsync(db, ct);

        var bootstrap = config["QAAS_BOOTSTRAP_API_KEY"] ?? Environment.GetEnvironmentVariable("QAAS_BOOTSTRAP_API_KEY");
        if (!string.IsNullOrWhiteSpace(bootstrap))
        {
            var hash = ApiKeySecrets.Hash(bootstrap);
            var existing = await db.ApiKeys.FirstOrDefaultAsync(k => k.KeyHash == hash, ct);
            if (existing is null)
            {
                db.ApiKeys.Add(NewKey(tenant.Id, "bootstrap", bootstrap, Roles.Admin));
                await SaveIgnoringDuplicatesAsync(db, ct);
            }
            else if (existing.RevokedAt is not null || existing.Role != Roles.Admin)
            {
                existing.RevokedAt = null;
                existing.Role = Roles.Admin;
                await db.SaveChangesAsync(ct);
            }
            return;
        }

        if (await db.ApiKeys.AnyAsync(ct)) return;
        var secret = ApiKeySecrets.Generate();
        db.ApiKeys.Add(NewKey(tenant.Id, "generated", secret, Roles.Admin));
        await db.SaveChangesAsync(ct);
        var dir = DataDirectory.Resolve(config);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "api-key");
        await File.WriteAllTextAsync(file, secret + "\n", ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // Printed once, straight to the console, so it is not lost in structured logs.
        Console.WriteLine($"Generated admin API key (saved to {file}): {secret}");
        logger.LogWarning("No API key existed: generated an admin key, written to {File}", file);
    }

    public static ApiKey NewKey(Guid tenantId, string name, string secret, string role) => new()
    {
        Id = Guid.NewGuid(),
        TenantId = tenantId,
        Name = name,
        Prefix = ApiKeySecrets.DisplayPrefix(secret),
        KeyHash = ApiKeySecrets.Hash(secret),
        Role = role,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    private static async Task<Tenant> EnsureDefaultTenantAsync(QaasDbContext db, CancellationToken ct)
    {
        var tenant = await db.Tenants.FirstOrDefaultAsync(t => t.Name == DefaultTenant, ct);
        if (tenant is not null) return tenant;
        db.Tenants.Add(new Tenant { Id = Guid.NewGuid(), Name = DefaultTenant, CreatedAt = DateTimeOffset.UtcNow });
        await SaveIgnoringDuplicatesAsync(db, ct);
        return await db.Tenants.FirstAsync(t => t.Name == DefaultTenant, ct);
    }

    // Several nodes may bootstrap at once; the unique constraints decide, and losing the race is fine.
    private static async Task SaveIgnoringDuplicatesAsync(QaasDbContext db, CancellationToken ct)
    {
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            db.ChangeTracker.Clear();
        }
    }
}
