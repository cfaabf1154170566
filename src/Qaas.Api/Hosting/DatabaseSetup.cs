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
            throw new ArgumentException("A worker needs the shared database: set ConnectionStrings__Qaas."); // a usage error: exit 2
        var root = Path.Combine(DataDirectory.Resolve(config), "postgres");
        var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataRoot = root, Database = "qaas" }, logger, ct);
        return new Resolved(pg.ConnectionString("qaas"), pg);
    }

    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.IncludeErrorDetail = true;
        // Blob rows stream out by binary COPY: with Npgsql's 8 KiB default every 8 KiB row is its own send() and wakes
        // the PostgreSQL backend once; 1 MiB batches ~130 rows per send (upload 161 -> 193 MB/s in the api bench).
        // A connection string that sets its own size keeps it.
        if (!connectionString.Contains("Write Buffer Size", StringComparison.OrdinalIgnoreCase)
            && !connectionString.Contains("WriteBufferSize", StringComparison.OrdinalIgnoreCase))
            builder.ConnectionStringBuilder.WriteBufferSize = 1 << 20;
        return builder.Build();
    }
}
