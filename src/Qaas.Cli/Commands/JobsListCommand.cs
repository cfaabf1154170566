namespace Qaas.Cli.Commands;

/// <summary>qaas jobs list [--status s]</summary>
public static class JobsListCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "status", "json" };

    public static async Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var jobs = await c.Client.ListJobsAsync(c.Args.Single("status"), ct);
        if (c.Json) { c.Out.WriteLine("[" + string.Join(",", jobs.Select(j => j.Raw.ToString())) + "]"); return ExitCodes.Ok; }
        foreach (var j in jobs) c.Out.WriteLine($"{j.Id}  {j.Status,-9}  {j.Preset ?? "(recipe)"}  {j.Progress:P0}");
        return ExitCodes.Ok;
    }
}
