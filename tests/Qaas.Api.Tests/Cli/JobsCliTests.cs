using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Cli;

public sealed class JobsCliTests(QaasService service) : IClassFixture<QaasService>
{
    [Fact]
    public async Task Submit_without_wait_then_jobs_wait_gates_and_cancel_of_an_ended_job_is_an_api_error()
    {
        using var temp = new TempFolder();
        var id = await CliRunner.SubmitAsync(service, temp, "int8-static");

        var waited = await CliRunner.RunAsync(service, "jobs", "wait", id, "--gate", "minCosine=0.99", "--out", temp.File("out"), "--json");
        Assert.True(waited.ExitCode == 0, waited.ToString());
        Assert.Equal("succeeded", JsonDocument.Parse(waited.Out).RootElement.GetProperty("status").GetString());
        Assert.True(File.Exists(temp.File("out/model.onnx")));

        var cancel = await CliRunner.RunAsync(service, "jobs", "cancel", id);
        Assert.True(cancel.ExitCode == 3, cancel.ToString());
        Assert.Contains("409", cancel.Err);

        var models = await CliRunner.RunAsync(service, "models", "list");
        Assert.True(models.ExitCode == 0, models.ToString());
        Assert.Contains("relu", models.Out);
    }
}
