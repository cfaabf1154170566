namespace Qaas.Cli.Commands;

/// <summary>qaas jobs cancel &lt;id&gt;</summary>
public static class JobsCancelCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "json" };

    public static async Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var job = await c.Client.CancelJobAsync(c.Args.Positional(2, "job id (qaas jobs cancel <id>)"), ct);
        c.Out.WriteLine(c.Json ? job.Raw.ToString() : $"{job.Id}  {job.Status}");
        return ExitCodes.Ok;
    }
}
