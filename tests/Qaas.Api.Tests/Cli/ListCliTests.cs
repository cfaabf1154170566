using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Cli;

public sealed class ListCliTests(QaasService service) : IClassFixture<QaasService>
{
    [Fact]
    public async Task List_commands_follow_the_cursor_through_every_page()
    {
        using var client = service.Client();
        var names = Enumerable.Range(0, 3).Select(i => $"paged-{i}-{Guid.NewGuid():N}").ToList();
        foreach (var (name, i) in names.Select((n, i) => (n, i)))
            await client.UploadModelAsync(TinyOnnx.Relu(4 + i), name);

        // One item per request: the three models span at least three pages.
        var text = await CliRunner.RunAsync(service, "models", "list", "--page-size", "1");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.All(names, n => Assert.Contains(n, text.Out));

        var json = await CliRunner.RunAsync(service, "models", "list", "--page-size", "2", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var listed = JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.All(names, n => Assert.Single(listed, x => x == n));

        var bad = await CliRunner.RunAsync(service, "jobs", "list", "--page-size", "0");
        Assert.Equal(3, bad.ExitCode);
        Assert.Contains("--page-size", bad.Err);
    }
}
