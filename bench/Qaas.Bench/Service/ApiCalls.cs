using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Qaas.Bench.Service;

/// <summary>The few QaaS HTTP calls the benchmark makes; a failing call throws with its status and body.</summary>
public sealed class ApiCalls(HttpClient http)
{
    public sealed record Timed<T>(T Value, double Seconds);

    /// <summary>POST /v1/models with the file streamed as application/octet-stream; returns the model id.</summary>
    public async Task<Timed<Guid>> UploadModelAsync(string path, string name)
    {
        var (status, body, seconds) = await PostFileAsync(path, name);
        if (status is < 200 or > 299) throw new ApiCallException($"POST /v1/models -> {status}: {Truncate(body, 600)}");
        return new(Id(body), seconds);
    }

    /// <summary>POST /v1/models whatever the outcome: status, body and the request's duration.</summary>
    public async Task<(int Status, string Body, double Seconds)> PostFileAsync(string path, string name)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        using var content = new StreamContent(file, 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = file.Length;
        var sw = Stopwatch.StartNew();
        using var r = await http.PostAsync($"/v1/models?name={Uri.EscapeDataString(name)}", content);
        var body = await r.Content.ReadAsStringAsync();
        sw.Stop();
        return ((int)r.StatusCode, body, sw.Elapsed.TotalSeconds);
    }

    /// <summary>GET /v1/models/{id}/content read to the end (not stored); returns the byte count.</summary>
    public async Task<Timed<long>> DownloadModelAsync(Guid id)
    {
        var sw = Stopwatch.StartNew();
        using var r = await http.GetAsync($"/v1/models/{id}/content", HttpCompletionOption.ResponseHeadersRead);
        if (!r.IsSuccessStatusCode) Ensure(r, await r.Content.ReadAsStringAsync(), $"GET /v1/models/{id}/content");
        await using var s = await r.Content.ReadAsStreamAsync();
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = await s.ReadAsync(buffer)) > 0) total += n;
        return new(total, sw.Elapsed.TotalSeconds);
    }

    /// <summary>POST /v1/jobs; retries while no worker has checked in yet (409 "No live worker").</summary>
    public async Task<Guid> SubmitJobAsync(Guid modelId, string preset)
    {
        var json = JsonSerializer.Serialize(new { modelId, preset });
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var r = await http.PostAsync("/v1/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
            var body = await r.Content.ReadAsStringAsync();
            if ((int)r.StatusCode == 409 && body.Contains("No live worker") && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(250);
                continue;
            }
            Ensure(r, body, "POST /v1/jobs");
            return Id(body);
        }
    }

    public async Task<JsonElement> GetJobAsync(Guid id)
    {
        using var r = await http.GetAsync($"/v1/jobs/{id}");
        var body = await r.Content.ReadAsStringAsync();
        Ensure(r, body, $"GET /v1/jobs/{id}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static Guid Id(string body) => JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();

    private static void Ensure(HttpResponseMessage r, string body, string what)
    {
        if (r.IsSuccessStatusCode) return;
        throw new ApiCallException($"{what} -> {(int)r.StatusCode} {r.ReasonPhrase}: {Truncate(body, 600)}");
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "...";
}

public sealed class ApiCallException(string message) : Exception(message);
