using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Qaas.Storage.Embedded;
using Qaas.Storage.Migrations;

namespace Qaas.Api.Tests.Infrastructure;

/// <summary>One real embedded PostgreSQL per test run (temp folder); each fixture creates its own database on it.</summary>
public static class TestPostgres
{
    private static readonly Lazy<Task<EmbeddedPostgres>> Server = new(StartAsync);

    private static async Task<EmbeddedPostgres> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "qaas-tests-" + Guid.NewGuid().ToString("N")[..8]);
        var pg = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataRoot = root, Database = null, Temporary = true }, NullLogger.Instance);
        // The server's watchdog stops it and deletes the folder once the test process is gone.
        return pg;
    }

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var pg = await Server.Value;
        var name = "t_" + Guid.NewGuid().ToString("N")[..12];
        await pg.CreateDatabaseAsync(name);
        return pg.ConnectionString(name);
    }

    /// <summary>A fresh database with the service's migrations applied, and a data source on it (the caller disposes it).</summary>
    public static async Task<(string ConnectionString, NpgsqlDataSource DataSource)> CreateMigratedDatabaseAsync()
    {
        var connectionString = await CreateDatabaseAsync();
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await MigrationRunner.ApplyAsync(dataSource, NullLogger.Instance);
        return (connectionString, dataSource);
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}
