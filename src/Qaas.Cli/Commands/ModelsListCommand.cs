namespace Qaas.Cli.Commands;

/// <summary>qaas models list [--page-size n]: every model of the tenant, all pages.</summary>
public static class ModelsListCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "page-size", "json" };

    public static async Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var models = await c.Client.ListModelsAsync(c.PageSize, ct);
        if (c.Json) { c.Out.WriteLine("[" + string.Join(",", models.Select(m => m.GetRawText())) + "]"); return ExitCodes.Ok; }
        foreach (var m in models)
            c.Out.WriteLine($"{m.GetProperty("id").GetString()}  {m.GetProperty("name").GetString(),-30}  {m.GetProperty("sizeBytes").GetInt64()} bytes");
        return ExitCodes.Ok;
    }
}
