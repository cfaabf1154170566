using Qaas.Cli.Gates;

namespace Qaas.Cli.Commands;

/// <summary>qaas jobs wait &lt;id&gt; [--gate name=value ...] [--out dir] [--timeout 30m]: follow, download, judge.</summary>
public static class WaitCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "gate", "out", "json", "timeout" };

    public static Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var id = c.Args.Positional(2, "job id (qaas jobs wait <id>)");
        var gates = c.Args.All("gate").Select(Gate.Parse).ToList();
        CheckOptions(c);
        return FinishAsync(c, id, gates, ct);
    }

    /// <summary>Refuses --out and --timeout values that could only fail once the job has ended (checked before anything is sent).</summary>
    public static void CheckOptions(CommandContext c)
    {
        if (c.Args.Single("out") is { } dir && File.Exists(dir))
            throw new UsageException($"--out {dir} is a file; give a folder (it is created if missing).");
        WaitTimeout.Parse(c.Args.Single("timeout"));
    }

    /// <summary>Waits for the job, downloads its artifacts on success, prints metrics and returns the exit code.</summary>
    public static async Task<int> FinishAsync(CommandContext c, string jobId, IReadOnlyList<Gate> gates, CancellationToken ct)
    {
        var limit = WaitTimeout.Parse(c.Args.Single("timeout"));
        using var timeout = new CancellationTokenSource();
        if (limit is { } l) timeout.CancelAfter(l);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        Client.Job job;
        try
        {
            job = await JobFollower.WaitAsync(c, jobId, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            c.Err.WriteLine($"Job {jobId} had not ended after {c.Args.Single("timeout")} (--timeout); it goes on. Cancel it with 'qaas jobs cancel {jobId}'.");
            return ExitCodes.TimedOut;
        }
        if (job.Status == "succeeded")
        {
            var dir = c.Args.Single("out") ?? Path.Combine("qaas-out", job.Id.ToString());
            var files = await JobFollower.DownloadAsync(c, job, dir, ct);
            if (!c.Json) foreach (var f in files) c.Out.WriteLine($"Downloaded {f}");
        }
        if (c.Json) c.Out.WriteLine(job.Raw.ToString());
        return JobFollower.Judge(c, job, gates);
    }
}
