using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Qaas.Storage.Embedded;

/// <summary>
/// A private PostgreSQL cluster run from the machine's binaries: initdb on first use, reused across restarts,
/// bound to 127.0.0.1 on a free port, stopped with pg_ctl stop -m fast.
/// PostgreSQL refuses to run as root, so when we are root the server runs as the `postgres` system user.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const string Superuser = "postgres";
    private readonly string _bin;
    private readonly ILogger _logger;
    private readonly bool _asPostgresUser;
    private int _stopped;

    public string DataDirectory { get; }
    public int Port { get; }

    private EmbeddedPostgres(string bin, string dataDirectory, int port, bool asPostgresUser, ILogger logger)
    {
        _bin = bin;
        DataDirectory = dataDirectory;
        Port = port;
        _asPostgresUser = asPostgresUser;
        _logger = logger;
    }

    /// <summary>Connection string for a database on this server.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = Superuser, Database = database,
        Pooling = true, MaxPoolSize = 50, IncludeErrorDetail = true,
    }.ConnectionString;

    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, ILogger logger, CancellationToken ct = default)
    {
        var bin = PostgresBinaries.Locate(options.BinDirectory);
        var asPostgresUser = Environment.IsPrivilegedProcess;
        var root = Path.GetFullPath(options.DataRoot);
        if (asPostgresUser && !TraversableByOthers(root))
        {
            // e.g. under /root (mode 0700): the postgres user cannot reach it, so use a stable folder elsewhere.
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12];
            var moved = Path.Combine("/var/tmp", $"qaas-{hash}");
            logger.LogWarning("Data folder {Root} is not reachable by the postgres user; the embedded cluster lives in {Moved}", root, moved);
            root = moved;
        }
        Directory.CreateDirectory(root);
        var dataDir = Path.Combine(root, "pgdata");
        // A server left running by a killed predecessor on this data directory is adopted (and stopped with us).
        var orphanPort = RunningServerPort(dataDir);
        var pg = new EmbeddedPostgres(bin, dataDir, orphanPort ?? FreePort(), asPostgresUser, logger);
        if (orphanPort is null)
        {
            await pg.InitAsync(root, ct);
            await pg.StartServerAsync(ct);
        }
        else logger.LogWarning("Adopting the PostgreSQL server already running on {DataDir} (port {Port})", dataDir, orphanPort);
        pg.StartWatchdog(options.Temporary ? root : null);
        if (options.Database is not null) await pg.CreateDatabaseAsync(options.Database, ct);
        logger.LogInformation("Embedded PostgreSQL ({Bin}) listening on 127.0.0.1:{Port}, data in {DataDir}", bin, pg.Port, dataDir);
        return pg;
    }

    /// <summary>Creates the database unless it exists.</summary>
    public async Task CreateDatabaseAsync(string database, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        await conn.OpenAsync(ct);
        await using (var check = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", conn))
        {
            check.Parameters.AddWithValue("n", database);
            if (await check.ExecuteScalarAsync(ct) is not null) return;
        }
        var quoted = "\"" + database.Replace("\"", "\"\"") + "\"";
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted} ENCODING 'UTF8'", conn);
        try { await create.ExecuteNonQueryAsync(ct); }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase) { }
    }

    private async Task InitAsync(string root, CancellationToken ct)
    {
        if (_asPostgresUser) await RunAsync("chown", ["-R", $"{Superuser}:{Superuser}", root], asPostgres: false, ct);
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION"))) return;
        if (Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true); // half-made by a crashed initdb
        await RunAsync(Path.Combine(_bin, "initdb"),
            ["-D", DataDirectory, "-A", "trust", "-U", Superuser, "--encoding", "UTF8", "--no-instructions"], _asPostgresUser, ct);
    }

    private async Task StartServerAsync(CancellationToken ct)
    {
        RemoveStalePid();
        // wal_level=minimal: nothing replicates from a private cluster, and a large blob's own table (created by the
        // transaction that fills it) is then written once, not once more to the WAL. Commits stay durable.
        var serverOptions = $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories='{DataDirectory}' -c max_connections=200 -c fsync=on"
            + " -c wal_level=minimal -c max_wal_senders=0";
        await RunAsync(Path.Combine(_bin, "pg_ctl"),
            ["start", "-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(DataDirectory, "server.log"), "-o", serverOptions],
            _asPostgresUser, ct);
    }

    /// <summary>The port of a live server on this data directory (postmaster.pid line 4), or null.</summary>
    private static int? RunningServerPort(string dataDir)
    {
        var pidFile = Path.Combine(dataDir, "postmaster.pid");
        if (!File.Exists(pidFile)) return null;
        var lines = File.ReadAllLines(pidFile);
        return lines.Length > 3 && int.TryParse(lines[0], out var pid) && ProcessAlive(pid) && int.TryParse(lines[3], out var port) ? port : null;
    }

    /// <summary>A postmaster.pid left by a killed server blocks start-up; drop it when its process is gone.</summary>
    private void RemoveStalePid()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        var first = File.ReadLines(pidFile).FirstOrDefault();
        if (int.TryParse(first, out var pid) && ProcessAlive(pid))
            throw new InvalidOperationException($"Another PostgreSQL (pid {pid}) already runs on {DataDirectory}.");
        _logger.LogWarning("Removing stale {PidFile}", pidFile);
        File.Delete(pidFile);
    }

    private static bool ProcessAlive(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return !p.HasExited && p.ProcessName.Contains("postgres"); }
        catch (ArgumentException) { return false; }
    }

    /// <summary>
    /// A detached shell that stops the server once this process is gone (even after kill -9), so no orphan keeps running;
    /// for a temporary cluster it then deletes the data folder.
    /// </summary>
    private void StartWatchdog(string? deleteRoot)
    {
        var pgCtl = $"{Path.Combine(_bin, "pg_ctl")} stop -D '{DataDirectory}' -m fast";
        var stop = _asPostgresUser ? $"runuser -u {Superuser} -- {pgCtl}" : pgCtl;
        var script = $"while [ -d /proc/{Environment.ProcessId} ]; do sleep 1; done; {stop} >/dev/null 2>&1"
            + (deleteRoot is null ? "" : $"; rm -rf '{deleteRoot}'");
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "sh", "-c", script }) psi.ArgumentList.Add(a);
        using var watchdog = Process.Start(psi);
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", DataDirectory, "-m", "fast", "-w"], _asPostgresUser, CancellationToken.None);
            _logger.LogInformation("Embedded PostgreSQL stopped");
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Stopping embedded PostgreSQL failed");
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private static async Task RunAsync(string file, string[] args, bool asPostgres, CancellationToken ct)
    {
        var psi = new ProcessStartInfo
        {
            FileName = asPostgres ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", Superuser, "--", file }) psi.ArgumentList.Add(a);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Cannot start {file}");
        // pg_ctl start leaves the server holding inherited pipes; read stderr/stdout without waiting for EOF.
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            string err; lock (stderr) err = stderr.ToString(); string output; lock (stdout) output = stdout.ToString();
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {err}{output}");
        }
    }

    /// <summary>True when every ancestor grants others execute (search) permission.</summary>
    private static bool TraversableByOthers(string path)
    {
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
        {
            if (!dir.Exists) continue;
            if ((dir.UnixFileMode & UnixFileMode.OtherExecute) == 0) return false;
        }
        return true;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
