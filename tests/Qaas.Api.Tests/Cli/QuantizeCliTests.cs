using System.Net.Http.Json;
using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Cli;

public sealed class QuantizeCliTests(QaasService service) : IClassFixture<QaasService>
{
    private static readonly string ConvModel = Path.Combine(RepositoryPaths.OnnxTestData, "node", "test_conv_with_strides_padding", "model.onnx");

    [Fact]
    public async Task Quantize_wait_with_a_holding_gate_downloads_the_artifacts_and_exits_0()
    {
        using var temp = new TempFolder();
        var outDir = temp.File("out");
        // A real CNN (PP-OCR direction classifier) so int8-static quantizes Conv weights; its input is dynamic, so the shape is given.
        var r = await CliRunner.RunAsync(service, "quantize", RepositoryPaths.PpOcrCls, "--preset", "int8-static", "--input-shape", "x=1,3,48,192",
            "--wait", "--gate", "minCosine=0.9", "--gate", "compressionRatio=1.5", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["model.onnx", "report.html", "report.json"], Directory.GetFiles(outDir).Select(f => Path.GetFileName(f)).Order().ToArray());
        var report = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(outDir, "report.json"))).RootElement;
        // Original bytes over the downloaded model's: int8 Conv weights make it well over 1.5 (the gate above held).
        var ratio = (double)new FileInfo(RepositoryPaths.PpOcrCls).Length / new FileInfo(Path.Combine(outDir, "model.onnx")).Length;
        Assert.Equal(Math.Round(ratio, 4), report.GetProperty("compressionRatio").GetDouble(), 3);
        Assert.True(ratio > 1.5, $"ratio {ratio}");
        Assert.Contains("minCosine", r.Out);
        Assert.Contains("succeeded", r.Out); // the final status event was printed as a progress line

        // The other commands see the same job.
        var list = await CliRunner.RunAsync(service, "jobs", "list", "--status", "succeeded", "--json");
        Assert.Equal(0, list.ExitCode);
        var id = JsonDocument.Parse(list.Out).RootElement[0].GetProperty("id").GetString()!;
        var get = await CliRunner.RunAsync(service, "jobs", "get", id);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("succeeded", get.Out);
        var download = await CliRunner.RunAsync(service, "download", id, "--out", temp.File("again"));
        Assert.True(download.ExitCode == 0, download.ToString());
        Assert.True(File.Exists(temp.File("again/report.json")));
    }

    [Fact]
    public async Task An_impossible_gate_exits_1_and_names_the_gate()
    {
        using var temp = new TempFolder();
        var r = await CliRunner.RunAsync(service, "quantize", ConvModel, "--preset", "int8-static", "--wait", "--gate", "speedup=1000", "--out", temp.Path);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("Gate failed: speedup", r.Err);
    }

    [Fact]
    public async Task A_recipe_whose_acceptance_fails_exits_1_even_without_gates()
    {
        using var temp = new TempFolder();
        var recipe = temp.File("recipe.json");
        await File.WriteAllTextAsync(recipe, """{ "preset": "int8-static", "acceptance": { "minSpeedup": 1000 } }""");
        var r = await CliRunner.RunAsync(service, "quantize", ConvModel, "--recipe", recipe, "--wait", "--out", temp.File("out"));
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("passed = false", r.Err);
        Assert.Matches(@"passed\s+false", r.Out); // metrics as JSON writes them, not .NET's "False"
    }

    [Fact]
    public async Task An_out_path_that_is_a_file_exits_3_before_anything_is_uploaded()
    {
        using var temp = new TempFolder();
        var file = temp.File("taken");
        await File.WriteAllTextAsync(file, "x");
        using var client = service.Client();
        var before = (await client.GetFromJsonAsync<JsonElement>("/v1/models?limit=200")).GetProperty("items").GetArrayLength();

        var r = await CliRunner.RunAsync(service, "quantize", ConvModel, "--preset", "int8-static", "--wait", "--out", file);

        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("is a file", r.Err);
        Assert.Equal(before, (await client.GetFromJsonAsync<JsonElement>("/v1/models?limit=200")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_preset_exits_3_with_the_server_detail()
    {
        using var client = service.Client();
        async Task<int> ModelCount() => (await client.GetFromJsonAsync<JsonElement>("/v1/models?limit=500")).GetProperty("items").GetArrayLength();
        var before = await ModelCount();
        var r = await CliRunner.RunAsync(service, "quantize", ConvModel, "--preset", "no-such-preset", "--wait");
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("400", r.Err);
        Assert.Contains("preset", r.Err);
        // The refused job leaves no uploaded model behind.
        Assert.Equal(before, await ModelCount());
    }

    [Fact]
    public async Task A_missing_model_file_exits_3()
    {
        var r = await CliRunner.RunAsync(service, "quantize", "/nonexistent/model.onnx", "--preset", "int8-static");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("File not found: /nonexistent/model.onnx", r.Err);
    }

    [Fact]
    public async Task Usage_errors_exit_3_and_presets_list_the_service_presets()
    {
        Assert.Equal(3, (await CliRunner.RunAsync(service, "quantize", ConvModel)).ExitCode); // neither --preset nor --recipe
        Assert.Equal(3, (await CliRunner.RunAsync(service, "quantize", ConvModel, "--preset", "int8-static", "--gate", "bogus=1", "--wait")).ExitCode);
        Assert.Equal(3, (await CliRunner.RunAsync(service, "jobs", "get", Guid.NewGuid().ToString())).ExitCode); // 404 problem
        var presets = await CliRunner.RunAsync(service, "presets");
        Assert.True(presets.ExitCode == 0, presets.ToString());
        Assert.Contains("int8-static", presets.Out);
    }
}
