using System.Net;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

public sealed class CancellationTests(SlowJobService service) : IClassFixture<SlowJobService>
{
    [Fact]
    public async Task Running_job_blocks_model_delete_and_cancels_promptly()
    {
        using var client = service.Client();
        var model = await client.UploadModelAsync(TinyOnnx.Relu(30));
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{model.Str("id")}}","preset":"int8-dynamic"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        await client.WaitForJobAsync(job.Str("id"), j => j.Str("stage") == "delay");

        await (await client.DeleteAsync($"/v1/models/{model.Str("id")}")).ExpectProblemAsync(HttpStatusCode.Conflict);
        await (await client.DeleteAsync($"/v1/jobs/{job.Str("id")}")).ExpectProblemAsync(HttpStatusCode.Conflict);

        await (await client.PostAsync($"/v1/jobs/{job.Str("id")}/cancel", null)).ExpectJsonAsync(HttpStatusCode.Accepted);
        var ended = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") != "running" && j.Str("status") != "queued", TimeSpan.FromSeconds(10));
        Assert.Equal("cancelled", ended.Str("status"));
        var events = await JobsTests.ReadEventsAsync(client, job.Str("id"), null);
        Assert.Contains("cancelled", events[^1].Data);

        await (await client.DeleteAsync($"/v1/models/{model.Str("id")}")).ExpectNoContent();
    }
}
