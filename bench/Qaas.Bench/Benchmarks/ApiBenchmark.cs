using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Qaas.Bench.Measurement;
using Qaas.Bench.Models;
using Qaas.Bench.Reporting;
using Qaas.Bench.Service;

namespace Qaas.Bench.Benchmarks;

/// <summary>
/// The real service as a child process: (a) 1 GiB model upload and download rates and the server's RSS growth,
/// (b) GET /v1/jobs/{id} under 32 concurrent clients, (c) submit -> running latency on an idle worker.
/// </summary>
public sealed class ApiBenchmark : IBenchmark
{
    private const long ModelFloats = 1L << 28; // 1 GiB of raw_data
    private const int Clients = 32;
    private static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(10);
    private const int LatencyJobs = 5;
    private const int WarmUpRounds = 3;
    private const string SmallModel = "/usr/share/libonnx-testdata/data/node/test_relu/model.onnx";

    public string Name => "api";

    public async Task<BenchReport> RunAsync()
    {
        var report = new BenchReport(Name, "the real service (dotnet Qaas.Api.dll, embedded PostgreSQL) over loopback HTTP");
        if (ServiceProcess.Build() is { } buildError)
        {
            if (!File.Exists(ServiceProcess.DllPath))
                return report.Note($"src/Qaas.Api does not build and no earlier build exists: {buildError}");
            report.Note($"src/Qaas.Api did not build now (someone's edit in progress?); used the existing {ServiceProcess.DllPath} from {File.GetLastWriteTime(ServiceProcess.DllPath):HH:mm}");
        }

        using var temp = new TempFolder();
        // The embedded PostgreSQL runs as the postgres user when we are root: it must be able to enter the folder.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp.Path, (UnixFileMode)0b111_101_101);
        var dataDir = Directory.CreateDirectory(Path.Combine(temp.Path, "data")).FullName;
        var bigModel = temp.File("model-1g.onnx");
        LargeInlineModelFile.Write(bigModel, ModelFloats);
        var bigBytes = new FileInfo(bigModel).Length;
        var (inspectSeconds, inspectGrowth) = InspectInProcess(bigModel);

        var startWatch = Stopwatch.StartNew();
        await using var service = await ServiceProcess.StartAsync(dataDir, TimeSpan.FromSeconds(120));
        report.Figure("start-up to /health/ready", $"{startWatch.Elapsed.TotalSeconds:F1} s (fresh data folder, initdb included)");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 2 * Clients })
        {
            BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromMinutes(10),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", service.ApiKey);
        var api = new ApiCalls(http);

        // Warm-up: the first requests through a path pay for JIT compilation, which a running service has done long
        // before. Tiered compilation needs many calls and background recompiles before the hot loops run optimized (one
        // 64 MiB round left ~1.5 CPU-seconds of it in the measured upload), so several models of distinct content (no
        // deduplication) go through first.
        var warmUp = temp.File("model-warm-up.onnx");
        LargeInlineModelFile.Write(warmUp, ModelFloats / 8);
        await Guarded(report, service, "warm-up upload/download", async () =>
        {
            for (var round = 0; round < WarmUpRounds; round++)
            {
                FlipByte(warmUp, new FileInfo(warmUp).Length / 2 + round);
                var id = await api.UploadModelAsync(warmUp, $"bench-warm-up-{round}");
                await api.DownloadModelAsync(id.Value);
            }
            return true;
        });
        File.Delete(warmUp);
        await Guarded(report, service, "upload/download", () => TransferAsync(api, service, dataDir, bigModel, bigBytes, report));
        report.Figure("(a) same file: structure-only load + Summary", $"{inspectSeconds:F1} s, +{Units.Bytes(inspectGrowth)} peak RSS (the upload's inspection step, timed in the bench process)");
        var jobId = await Guarded(report, service, "submit -> running", () => SubmitLatencyAsync(api, report));
        if (jobId is { } id)
            await Guarded(report, service, "GET /v1/jobs/{id} load", () => ReadLoadAsync(http, service, id, report));
        return report;
    }

    /// <summary>Inverts one byte of a file (inside the weight data of a model file: the model stays valid).</summary>
    private static void FlipByte(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        int b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)~b);
    }

    private static async Task<Guid> TransferAsync(ApiCalls api, ServiceProcess service, string dataDir, string path, long bytes, BenchReport report)
    {
        var cpu = new CpuShares(service, dataDir);
        var (upload, upGrowth) = await WithServerRss(service, () => api.UploadModelAsync(path, "bench-1g"));
        var upCpu = cpu.Next();
        var (download, downGrowth) = await WithServerRss(service, () => api.DownloadModelAsync(upload.Value));
        var downCpu = cpu.Next();
        if (download.Value != bytes) throw new ApiCallException($"download returned {download.Value} bytes, uploaded {bytes}");
        double upRate = bytes / upload.Seconds / 1e6, downRate = bytes / download.Seconds / 1e6;
        report.Figure("model size", $"{Units.Bytes(bytes)} (one inline initializer)")
            .Target("(a) upload POST /v1/models", $"{upRate:F0} MB/s", ">= 200 MB/s", upRate >= 200)
            .Target("(a) download GET .../content", $"{downRate:F0} MB/s", ">= 200 MB/s", downRate >= 200)
            .Target("(a) server RSS growth, upload", Units.Bytes(upGrowth), "<= 100 MiB", upGrowth <= 100L << 20)
            .Target("(a) server RSS growth, download", Units.Bytes(downGrowth), "<= 100 MiB", downGrowth <= 100L << 20)
            .Note($"upload time is the whole request: streamed into PostgreSQL and through the structure inspector at once, then committed ({upload.Seconds:F1} s); download {download.Seconds:F1} s")
            .Figure("(a) CPU seconds, upload", upCpu)
            .Figure("(a) CPU seconds, download", downCpu);
        return upload.Value;
    }

    /// <summary>CPU used since the last call by the service, its PostgreSQL (postmaster and backends) and this bench process.</summary>
    private sealed class CpuShares(ServiceProcess service, string dataDir)
    {
        private (TimeSpan Service, TimeSpan Postgres, TimeSpan Client) _last = Read(service, dataDir);

        public string Next()
        {
            var now = Read(service, dataDir);
            var text = $"service {(now.Service - _last.Service).TotalSeconds:F1}, PostgreSQL {(now.Postgres - _last.Postgres).TotalSeconds:F1}, bench client {(now.Client - _last.Client).TotalSeconds:F1}";
            _last = now;
            return text;
        }

        private static (TimeSpan Service, TimeSpan Postgres, TimeSpan Client) Read(ServiceProcess service, string dataDir) =>
            (ProcessCpu.Used(service.Pid) ?? TimeSpan.Zero,
             service.PostgresPid(dataDir) is { } pg ? ProcessCpu.UsedWithChildren(pg) : TimeSpan.Zero,
             Process.GetCurrentProcess().TotalProcessorTime);
    }

    /// <summary>What the service's model inspection costs on this file, measured in the bench process for comparison.</summary>
    private static (double Seconds, long Growth) InspectInProcess(string path)
    {
        var pid = Environment.ProcessId;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = ProcessMemory.Rss(pid) ?? 0;
        ProcessMemory.ResetPeak(pid);
        var sw = Stopwatch.StartNew();
        var summary = Qaas.Onnx.Summary.ModelSummary.OfFile(path);
        sw.Stop();
        GC.KeepAlive(summary);
        var growth = (ProcessMemory.Peak(pid) ?? 0) - before;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return (sw.Elapsed.TotalSeconds, growth);
    }

    /// <summary>Runs <paramref name="call"/> and returns the service process's peak RSS above its RSS just before.</summary>
    private static async Task<(T Value, long Growth)> WithServerRss<T>(ServiceProcess service, Func<Task<T>> call)
    {
        var before = ProcessMemory.Rss(service.Pid) ?? 0;
        var reset = ProcessMemory.ResetPeak(service.Pid);
        T value;
        long sampled;
        using (var sampler = new RssSampler(service.Pid))
        {
            value = await call();
            sampled = sampler.Max - before;
        }
        var peak = ProcessMemory.Peak(service.Pid) ?? 0;
        return (value, reset ? Math.Max(peak - before, sampled) : sampled);
    }

    /// <returns>The last job's id, for the read-load part.</returns>
    private static async Task<Guid> SubmitLatencyAsync(ApiCalls api, BenchReport report)
    {
        var model = await api.UploadModelAsync(SmallModel, "relu");
        var client = new List<double>();
        var server = new List<double>();
        Guid last = default;
        for (var i = -1; i < LatencyJobs; i++) // job -1 warms up the worker path
        {
            var sw = Stopwatch.StartNew();
            last = await api.SubmitJobAsync(model.Value, "int8-static");
            JsonElement job;
            while (true)
            {
                job = await api.GetJobAsync(last);
                if (job.GetProperty("status").GetString() != "queued") break;
                if (sw.Elapsed > TimeSpan.FromSeconds(60)) throw new ApiCallException($"job {last} still queued after 60 s");
                await Task.Delay(20);
            }
            var seen = sw.Elapsed.TotalSeconds;
            job = await WaitEndedAsync(api, last);
            if (i < 0) continue;
            client.Add(seen);
            if (job.GetProperty("startedAt").ValueKind == JsonValueKind.String)
                server.Add((job.GetProperty("startedAt").GetDateTimeOffset() - job.GetProperty("createdAt").GetDateTimeOffset()).TotalSeconds);
            if (i == LatencyJobs - 1)
                report.Note($"last job ended '{job.GetProperty("status").GetString()}'" +
                            (job.GetProperty("error").ValueKind == JsonValueKind.Object ? $" with error {job.GetProperty("error")}" : ""));
        }
        var median = Stats.Median(client);
        report.Target($"(c) submit -> running (median of {LatencyJobs})", $"{median * 1000:F0} ms", "<= 2 s", median <= 2)
            .Figure("(c) ... per job, client-observed", string.Join(", ", client.Select(s => $"{s * 1000:F0}")) + " ms (20 ms polling)");
        if (server.Count > 0)
            report.Figure("(c) ... startedAt - createdAt (server)", $"median {Stats.Median(server) * 1000:F0} ms");
        return last;
    }

    private static async Task<JsonElement> WaitEndedAsync(ApiCalls api, Guid id)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var job = await api.GetJobAsync(id);
            if (job.GetProperty("status").GetString() is not ("queued" or "running")) return job;
            if (sw.Elapsed > TimeSpan.FromSeconds(120)) throw new ApiCallException($"job {id} did not end within 120 s");
            await Task.Delay(100);
        }
    }

    private static async Task<bool> ReadLoadAsync(HttpClient http, ServiceProcess service, Guid jobId, BenchReport report)
    {
        await LoadGenerator.RunAsync(http, $"/v1/jobs/{jobId}", Clients, TimeSpan.FromSeconds(1)); // warm-up: connections, JIT
        var serviceCpu = ProcessCpu.Used(service.Pid);
        var ownCpu = ProcessCpu.Used(Environment.ProcessId);
        var r = await LoadGenerator.RunAsync(http, $"/v1/jobs/{jobId}", Clients, LoadDuration);
        var serviceCores = (ProcessCpu.Used(service.Pid) - serviceCpu)?.TotalSeconds / r.Seconds;
        var ownCores = (ProcessCpu.Used(Environment.ProcessId) - ownCpu)?.TotalSeconds / r.Seconds;
        var p50 = Stats.Median(r.LatenciesMs);
        var p99 = Stats.Percentile(r.LatenciesMs, 99);
        report.Target($"(b) GET /v1/jobs/{{id}}, {Clients} clients", $"{r.RequestsPerSecond:F0} req/s", ">= 2000 rps", r.RequestsPerSecond >= 2000)
            .Target("(b) ... p99 latency", $"{p99:F1} ms", "<= 50 ms", p99 <= 50)
            .Figure("(b) ... p50 latency, requests, failures", $"{p50:F1} ms, {r.Requests} in {r.Seconds:F1} s, {r.Failures} failed")
            .Figure("(b) ... CPU used during the run", $"service {serviceCores:F2} cores ({serviceCores * r.Seconds / r.Requests * 1000:F2} ms CPU per request), load generator {ownCores:F2} cores; PostgreSQL and other processes: the rest of {Environment.ProcessorCount}");
        if (r.FirstFailure is { } f) report.Note($"first failed GET: {f}");
        report.Note("the load generator runs on the same cores as the service and its PostgreSQL");
        return true;
    }

    /// <summary>Runs one part; a failure becomes a MISS with the exact error and the log tail, and the next part still runs.</summary>
    private static async Task<T?> Guarded<T>(BenchReport report, ServiceProcess service, string part, Func<Task<T>> run) where T : struct
    {
        try { return await run(); }
        catch (Exception e) when (e is ApiCallException or HttpRequestException or TaskCanceledException or IOException)
        {
            report.Target(part, "FAILED", "works", false).Note($"{part}: {e.GetType().Name}: {e.Message}");
            report.Note("service log tail:\n" + service.LogTail(15));
            return null;
        }
    }
}
