using Npgsql;
using Qaas.Storage.Embedded;

namespace Qaas.Api.Hosting;

/// <summary>Finds the database: ConnectionStrings:Qaas when configured, else a private embedded PostgreSQL (role `all`/`api` only).</summary>
public static class DatabaseSetup
{
    public sealed record Resolved(string ConnectionString, EmbeddedPostgres? Embedded);

    public static async Task<Resolved> ResolveAsync(IConfiguration config, NodeOptions node, ILogger logger, CancellationToken ct)
    {
        var configured = config.GetConnectionString("Qaas");
        if (!string.IsNullOrWhiteSpace(configured)) return new Resolved(configured, null);
        if (node.Role == "worker")
            throw new InvalidOperationException("A worker needs the shared database: set ConnectionStrings__Qaas.");
        var root = Path.Combine(DataDirectory.Resolve(config), "postgres");
        var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataRoot = root, Database = "qaas" }, logger, ct);
        return new Resolved(pg.ConnectionString("qaas"), pg);
    }

    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.IncludeErrorDetail = true;
        return builder.Build();
    }
}
