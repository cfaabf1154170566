using Qaas.Cli.Gates;

namespace Qaas.Cli.Commands;

/// <summary>qaas jobs wait &lt;id&gt; [--gate name=value ...] [--out dir]: follow, download, judge.</summary>
public static class WaitCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "gate", "out", "json" };

    public static Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var id = c.Args.Positional(2, "job id (qaas jobs wait <id>)");
        return FinishAsync(c, id, c.Args.All("gate").Select(Gate.Parse).ToList(), ct);
    }

    /// <summary>Waits for the job, downloads its artifacts on success, prints metrics and returns the exit code.</summary>
    public static async Task<int> FinishAsync(CommandContext c, string jobId, IReadOnlyList<Gate> gates, CancellationToken ct)
    {
        var job = await JobFollower.WaitAsync(c, jobId, ct);
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
