using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Qaas.Bench.Service;

/// <summary>
/// The real service as a child process: `dotnet src/Qaas.Api/bin/Release/net10.0/Qaas.Api.dll` with its own data folder
/// (embedded PostgreSQL), a free loopback port and a bootstrap admin key. Stopped with SIGTERM.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServiceProcess(Process process, StreamWriter log, Uri baseAddress, string apiKey, string logPath)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
        ApiKey = apiKey;
        LogPath = logPath;
    }

    public Uri BaseAddress { get; }

    public string ApiKey { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    /// <summary>The embedded PostgreSQL's postmaster (first line of postmaster.pid under the data folder), or null.</summary>
    public int? PostgresPid(string dataDir)
    {
        var file = Directory.EnumerateFiles(dataDir, "postmaster.pid", SearchOption.AllDirectories).FirstOrDefault();
        return file is not null && int.TryParse(File.ReadLines(file).FirstOrDefault(), out var pid) ? pid : null;
    }

    public static string DllPath => Path.Combine(RepositoryPaths.Root, "src", "Qaas.Api", "bin", "Release", "net10.0", "Qaas.Api.dll");

    /// <summary>Builds src/Qaas.Api in Release (incremental); returns null on success, else the build's last lines.</summary>
    public static string? Build()
    {
        var psi = new ProcessStartInfo("dotnet", ["build", Path.Combine(RepositoryPaths.Root, "src", "Qaas.Api"), "-c", "Release", "-v", "q", "--nologo"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode == 0) return null;
        var lines = (stdout.Result + stderr.Result).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join("\n", lines.TakeLast(5));
    }

    public static async Task<ServiceProcess> StartAsync(string dataDir, TimeSpan readyTimeout)
    {
        var port = FreePort();
        var apiKey = "qaas_bench_" + Guid.NewGuid().ToString("N");
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var psi = new ProcessStartInfo("dotnet", [DllPath])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dataDir,
            Environment =
            {
                ["QAAS_DATA_DIR"] = dataDir,
                ["QAAS_URLS"] = baseAddress.ToString().TrimEnd('/'),
                ["QAAS_BOOTSTRAP_API_KEY"] = apiKey,
            },
        };
        var logPath = Path.Combine(dataDir, "service.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, log, baseAddress, apiKey, logPath);
        try
        {
            await service.WaitReadyAsync(readyTimeout);
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the service exited with code {_process.ExitCode} during start-up; log: {LogPath}");
            try
            {
                using var r = await http.GetAsync("/health/ready");
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"the service was not ready after {timeout.TotalSeconds:F0} s; log: {LogPath}");
    }

    public string LogTail(int lines)
    {
        lock (_log) _log.Flush();
        try { return string.Join("\n", File.ReadLines(LogPath).TakeLast(lines)); }
        catch (IOException) { return ""; }
    }

    /// <summary>SIGTERM, then up to 30 s for a clean shutdown (it stops its embedded PostgreSQL), then SIGKILL.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        }
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
