namespace Qaas.Cli.Commands;

/// <summary>qaas presets: the named recipes the service can run.</summary>
public static class PresetsCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "json" };

    public static async Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var presets = await c.Client.PresetsAsync(ct);
        if (c.Json) { c.Out.WriteLine(presets.ToString()); return ExitCodes.Ok; }
        foreach (var p in presets.EnumerateArray()) c.Out.WriteLine(p.GetProperty("name").GetString());
        return ExitCodes.Ok;
    }
}
