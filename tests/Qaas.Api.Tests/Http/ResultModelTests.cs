using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Qaas.Api.Pipeline;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

/// <summary>A service whose pipeline ends with a stage that emits model.onnx, as the quantize stage will.</summary>
public sealed class ModelEmittingService : QaasService
{
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<IJobStage, EmitModelStage>();

    private sealed class EmitModelStage : IJobStage
    {
        public string Name => "emit";

        public Task RunAsync(JobContext context, CancellationToken ct)
        {
            var path = Path.Combine(context.WorkDirectory, "model.onnx");
            File.WriteAllBytes(path, TinyOnnx.Relu(77)); // stands in for a rewritten graph
            context.Artifacts["model.onnx"] = (path, "application/octet-stream");
            return Task.CompletedTask;
        }
    }
}

public sealed class ResultModelTests(ModelEmittingService service) : IClassFixture<ModelEmittingService>
{
    [Fact]
    public async Task Result_model_is_registered_with_its_parent_and_job()
    {
        using var client = service.Client();
        var parent = await client.UploadModelAsync(TinyOnnx.Relu(70));
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{parent.Str("id")}}","preset":"int8-static"}""")).ExpectJsonAsync(HttpStatusCode.Accepted);
        var done = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed");
        Assert.Equal("succeeded", done.Str("status"));
        Assert.Contains(done.GetProperty("artifacts").EnumerateArray(), a => a.Str("name") == "model.onnx");

        var resultId = done.GetProperty("metrics").Str("resultModelId");
        var result = await client.GetFromJsonAsync<JsonElement>($"/v1/models/{resultId}");
        Assert.Equal(parent.Str("id"), result.Str("parentModelId"));
        Assert.Equal(job.Str("id"), result.Str("jobId"));
        Assert.Equal("[1,77]", result.GetProperty("inputs")[0].GetProperty("shape").GetRawText());
        Assert.Equal(TinyOnnx.Relu(77), await client.GetByteArrayAsync($"/v1/models/{resultId}/content"));
    }
}
