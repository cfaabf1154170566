using System.Net;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

/// <summary>A job that outlives the workers' time limit (Qaas:JobTimeout) fails and frees its worker.</summary>
public sealed class TimeLimitTests(TimeLimitService service) : IClassFixture<TimeLimitService>
{
    [Fact]
    public async Task Job_past_the_time_limit_fails_with_a_422_naming_the_setting()
    {
        using var client = service.Client();
        var model = await client.UploadModelAsync(TinyOnnx.Relu(7));
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{model.Str("id")}}","preset":"fp16"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        var done = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(15));
        Assert.Equal("failed", done.Str("status"));
        var error = done.GetProperty("error");
        Assert.Equal(422, error.GetProperty("status").GetInt32());
        Assert.Contains("Qaas:JobTimeout", error.Str("detail"));
    }
}
