using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Qaas.Api.Tests.Infrastructure;

/// <summary>Small client-side helpers for the v1 contract.</summary>
public static class Api
{
    public static async Task<JsonElement> UploadModelAsync(this HttpClient client, byte[] onnx, string? name = null)
    {
        using var content = new ByteArrayContent(onnx);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await client.PostAsync("/v1/models" + (name is null ? "" : "?name=" + name), content);
        return await response.ExpectJsonAsync(HttpStatusCode.Created);
    }

    public static async Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request);
    }

    public static async Task<JsonElement> ExpectJsonAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 7807 problem with the status and returns it.</summary>
    public static async Task<JsonElement> ExpectProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ExpectJsonAsync(status);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    public static async Task<JsonElement> WaitForJobAsync(this HttpClient client, string jobId, Func<JsonElement, bool> until, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var job = await client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{jobId}");
            if (until(job)) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Job {jobId} stayed {job.GetProperty("status")}: {job}");
            await Task.Delay(200);
        }
    }

    public static string Str(this JsonElement e, string property) => e.GetProperty(property).GetString()!;
}
