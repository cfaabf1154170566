using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Qaas.Storage.Migrations;

/// <summary>
/// Applies the checked-in SQL migrations (embedded NNNN_name.sql resources) in order, each in its own
/// transaction, under an advisory lock so several nodes starting at once do not race.
/// </summary>
public static class MigrationRunner
{
    private const long LockKey = 0x51AA5_0001;

    public static IReadOnlyList<(string Version, string Sql)> Migrations()
    {
        var asm = typeof(MigrationRunner).Assembly;
        return asm.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.Ordinal) && n.Contains(".Migrations.", StringComparison.Ordinal))
            .Select(n => (Version: VersionOf(n), Sql: Read(asm, n)))
            .OrderBy(m => m.Version, StringComparer.Ordinal)
            .ToList();
    }

    public static async Task<int> ApplyAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await Exec(conn, $"SELECT pg_advisory_lock({LockKey})", ct);
        try
        {
            await Exec(conn, "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", ct);
            var applied = new HashSet<string>();
            await using (var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations", conn))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) applied.Add(reader.GetString(0));

            var count = 0;
            foreach (var (version, sql) in Migrations())
            {
                if (applied.Contains(version)) continue;
                await using var tx = await conn.BeginTransactionAsync(ct);
                await using (var cmd = new NpgsqlCommand(sql, conn, tx)) await cmd.ExecuteNonQueryAsync(ct);
                await using (var mark = new NpgsqlCommand("INSERT INTO schema_migrations(version) VALUES (@v)", conn, tx))
                {
                    mark.Parameters.AddWithValue("v", version);
                    await mark.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Version}", version);
                count++;
            }
            return count;
        }
        finally
        {
            await Exec(conn, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private static async Task Exec(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    // Resource names look like Qaas.Storage.Migrations.0001_initial.sql.
    private static string VersionOf(string resource)
    {
        var withoutExt = resource[..^4];
        return withoutExt[(withoutExt.LastIndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
    }

    private static string Read(Assembly asm, string name)
    {
        using var s = asm.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
