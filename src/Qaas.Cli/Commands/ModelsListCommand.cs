namespace Qaas.Cli.Commands;

/// <summary>qaas models list</summary>
public static class ModelsListCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "json" };

    public static async Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var page = await c.Client.ListModelsAsync(ct);
        if (c.Json) { c.Out.WriteLine(page.ToString()); return ExitCodes.Ok; }
        foreach (var m in page.GetProperty("items").EnumerateArray())
            c.Out.WriteLine($"{m.GetProperty("id").GetString()}  {m.GetProperty("name").GetString(),-30}  {m.GetProperty("sizeBytes").GetInt64()} bytes");
        return ExitCodes.Ok;
    }
}
