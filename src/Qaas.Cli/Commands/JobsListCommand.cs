namespace Qaas.Cli.Commands;

/// <summary>qaas jobs list [--status s] [--page-size n]: every job of the tenant, newest first, all pages.</summary>
public static class JobsListCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "status", "page-size", "json" };

    public static async Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var jobs = await c.Client.ListJobsAsync(c.Args.Single("status"), c.PageSize, ct);
        if (c.Json) { c.Out.WriteLine("[" + string.Join(",", jobs.Select(j => j.Raw.ToString())) + "]"); return ExitCodes.Ok; }
        foreach (var j in jobs) c.Out.WriteLine($"{j.Id}  {j.Status,-9}  {j.Preset ?? "(recipe)"}  {j.Progress:P0}");
        return ExitCodes.Ok;
    }
}
