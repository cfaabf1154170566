using System.Net;
using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

/// <summary>A job sent to the gpu pool, run by a real gpu-pool worker of a machine without CUDA.</summary>
public sealed class GpuPoolTests(GpuPoolService service) : IClassFixture<GpuPoolService>
{
    [Fact]
    public async Task Preset_job_on_the_gpu_pool_asks_for_CUDA_and_says_it_measured_on_the_CPU()
    {
        // The preset names no provider: the pool's is filled in, and the report says what really ran.
        var report = await ReportOfGpuJobAsync(width: 8, """ "preset":"fp16" """);
        Assert.Equal("cuda", report.GetProperty("recipe").GetProperty("evaluation").Str("executionProvider"));
        Assert.Equal("cpu", report.GetProperty("latency").Str("executionProvider"));
        Assert.Contains(report.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("measured on CPU"));
    }

    [Fact]
    public async Task A_recipe_that_names_the_CPU_keeps_it_on_the_gpu_pool()
    {
        var report = await ReportOfGpuJobAsync(width: 9, """ "recipe":{"preset":"fp16","evaluation":{"executionProvider":"cpu"}} """);
        Assert.Equal("cpu", report.GetProperty("recipe").GetProperty("evaluation").Str("executionProvider"));
        Assert.DoesNotContain(report.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("measured on CPU"));
    }

    /// <summary>A Relu model of the given width quantized on the gpu pool with <paramref name="quantization"/>; its report.</summary>
    private async Task<JsonElement> ReportOfGpuJobAsync(int width, string quantization)
    {
        using var client = service.Client();
        var model = await client.UploadModelAsync(TinyOnnx.Relu(width));
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{model.Str("id")}}",{{quantization}},"pool":"gpu"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        var done = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(60));
        Assert.True(done.Str("status") == "succeeded", done.ToString());
        return JsonDocument.Parse(await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json")).RootElement;
    }
}
