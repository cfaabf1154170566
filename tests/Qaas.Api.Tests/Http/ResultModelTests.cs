using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

public sealed class ResultModelTests(QaasService service) : IClassFixture<QaasService>
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
        Assert.Equal("[1,70]", result.GetProperty("inputs")[0].GetProperty("shape").GetRawText());
        var artifact = await client.GetByteArrayAsync($"/v1/jobs/{job.Str("id")}/artifacts/model.onnx");
        Assert.Equal(artifact, await client.GetByteArrayAsync($"/v1/models/{resultId}/content"));

        // Deleting the result model: the job keeps its artifacts and stops naming the model.
        await (await client.DeleteAsync($"/v1/models/{resultId}")).ExpectNoContent();
        var after = await client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{job.Str("id")}");
        Assert.False(after.GetProperty("metrics").TryGetProperty("resultModelId", out _), after.ToString());
        Assert.Equal(artifact, await client.GetByteArrayAsync($"/v1/jobs/{job.Str("id")}/artifacts/model.onnx"));
    }
}
