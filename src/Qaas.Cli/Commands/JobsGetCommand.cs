namespace Qaas.Cli.Commands;

/// <summary>qaas jobs get &lt;id&gt;</summary>
public static class JobsGetCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "json" };

    public static async Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var job = await c.Client.GetJobAsync(c.Args.Positional(2, "job id (qaas jobs get <id>)"), ct);
        if (c.Json) { c.Out.WriteLine(job.Raw.ToString()); return ExitCodes.Ok; }
        c.Out.WriteLine($"{job.Id}  {job.Status}  stage={job.Stage ?? "-"}  progress={job.Progress:P0}  preset={job.Preset ?? "-"}");
        if (job.Error is { } e) c.Out.WriteLine($"error: {e}");
        if (job.Metrics is { } m) c.Out.WriteLine($"metrics: {m}");
        foreach (var a in job.Artifacts) c.Out.WriteLine($"artifact: {a.Name} ({a.SizeBytes} bytes)");
        return ExitCodes.Ok;
    }
}
