namespace Qaas.Cli.Commands;

/// <summary>qaas download &lt;job id&gt; [--out dir]</summary>
public static class DownloadCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "out", "json" };

    public static async Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var job = await c.Client.GetJobAsync(c.Args.Positional(1, "job id (qaas download <job id>)"), ct);
        if (job.Artifacts.Count == 0)
        {
            c.Err.WriteLine($"Job {job.Id} is {job.Status} and has no artifacts.");
            return job.Status is "failed" or "cancelled" ? ExitCodes.JobFailed : ExitCodes.UsageOrApiError;
        }
        var files = await JobFollower.DownloadAsync(c, job, c.Args.Single("out") ?? Path.Combine("qaas-out", job.Id.ToString()), ct);
        foreach (var f in files) c.Out.WriteLine(f);
        return ExitCodes.Ok;
    }
}
