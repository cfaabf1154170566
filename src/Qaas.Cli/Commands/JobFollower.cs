using System.Text.Json;
using Qaas.Cli.Client;
using Qaas.Cli.Gates;
using Spectre.Console;

namespace Qaas.Cli.Commands;

/// <summary>Shared by quantize --wait and jobs wait: follow a job to its end, then judge it.</summary>
public static class JobFollower
{
    /// <summary>Follows server-sent events (a progress line per event, or a Spectre bar on a terminal); falls back to polling every second.</summary>
    public static async Task<Job> WaitAsync(CommandContext c, string jobId, CancellationToken ct)
    {
        if (c.Interactive && !c.Json)
        {
            Job? final = null;
            await AnsiConsole.Progress().StartAsync(async p =>
            {
                var task = p.AddTask($"job {jobId[..Math.Min(8, jobId.Length)]}", maxValue: 1.0);
                final = await FollowAsync(c, jobId, (stage, progress) => { if (progress >= 0) task.Value = progress; task.Description = Markup.Escape(stage); }, ct);
                task.Value = 1.0;
            });
            return final!;
        }
        return await FollowAsync(c, jobId, (stage, progress) =>
        {
            if (!c.Json) c.Out.WriteLine(progress >= 0 ? $"[{progress * 100,5:F1}%] {stage}" : $"         {stage}");
        }, ct);
    }

    // How long polling rides out a service it cannot reach (an API node restarting) before giving up.
    private static readonly TimeSpan Unreachable = TimeSpan.FromSeconds(60);

    private static async Task<Job> FollowAsync(CommandContext c, string jobId, Action<string, double> report, CancellationToken ct)
    {
        try
        {
            await foreach (var e in c.Client.EventsAsync(jobId, ct))
                report(Describe(e), ProgressOf(e));
        }
        catch (Exception e) when (IsConnectionLoss(e) && !ct.IsCancellationRequested) { /* stream broke: polling below finishes the job */ }
        var lastContact = DateTime.UtcNow;
        while (true)
        {
            try
            {
                var job = await c.Client.GetJobAsync(jobId, ct);
                lastContact = DateTime.UtcNow;
                if (job.IsEnded) return job;
                report(job.Stage ?? job.Status, job.Progress);
            }
            catch (Exception e) when (IsConnectionLoss(e) && !ct.IsCancellationRequested && DateTime.UtcNow - lastContact < Unreachable)
            {
                report($"service unreachable ({e.Message}); retrying", -1);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    // The connection broke (a node died mid-stream: HttpIOException is an IOException) or the service said to retry (503).
    private static bool IsConnectionLoss(Exception e) =>
        e is HttpRequestException or IOException or ApiException { Status: 502 or 503 or 504 };

    private static string Describe(ServerEvent e)
    {
        try
        {
            using var doc = JsonDocument.Parse(e.Data);
            var root = doc.RootElement;
            foreach (var key in new[] { "message", "stage", "status" })
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String)
                    return $"{e.Type}: {v.GetString()}";
        }
        catch (JsonException) { }
        return $"{e.Type}: {e.Data}";
    }

    /// <summary>Progress events carry a fraction; other events leave the last value (-1).</summary>
    private static double ProgressOf(ServerEvent e)
    {
        try
        {
            using var doc = JsonDocument.Parse(e.Data);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Number)
                return p.GetDouble();
        }
        catch (JsonException) { }
        return -1;
    }

    /// <summary>Downloads every artifact of a finished job into dir.</summary>
    public static async Task<IReadOnlyList<string>> DownloadAsync(CommandContext c, Job job, string dir, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        foreach (var a in job.Artifacts)
        {
            var path = Path.Combine(dir, Path.GetFileName(a.Name));
            await c.Client.DownloadAsync(a.Url, path, ct);
            files.Add(path);
        }
        return files;
    }

    /// <summary>Prints the outcome and returns the exit code: 2 failed/cancelled, 1 a gate or the recipe's acceptance failed, 0 otherwise.</summary>
    public static int Judge(CommandContext c, Job job, IReadOnlyList<Gate> gates)
    {
        if (job.Status != "succeeded")
        {
            c.Err.WriteLine($"Job {job.Id} {job.Status}.");
            if (job.Error is { ValueKind: JsonValueKind.Object } err)
            {
                foreach (var key in new[] { "title", "detail" })
                    if (err.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String) c.Err.WriteLine($"  {key}: {v.GetString()}");
            }
            return ExitCodes.JobFailed;
        }
        if (!c.Json) PrintMetrics(c.Out, job.Metrics);
        var failures = gates.Select(g => g.Check(job.Metrics)).OfType<string>().ToList();
        if (job.Metrics is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty("passed", out var passed) && passed.ValueKind == JsonValueKind.False)
            failures.Add("passed = false (the recipe's acceptance limits did not hold)");
        foreach (var f in failures) c.Err.WriteLine($"Gate failed: {f}");
        return failures.Count == 0 ? ExitCodes.Ok : ExitCodes.GateFailed;
    }

    private static void PrintMetrics(TextWriter w, JsonElement? metrics)
    {
        if (metrics is not { ValueKind: JsonValueKind.Object } m) { w.WriteLine("No metrics reported."); return; }
        w.WriteLine("Metrics:");
        // Raw JSON text: true/false as JSON writes them (JsonElement.ToString() gives "True").
        foreach (var p in m.EnumerateObject()) w.WriteLine($"  {p.Name,-18} {(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())}");
    }
}
