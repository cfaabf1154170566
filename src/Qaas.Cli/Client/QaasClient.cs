using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qaas.Cli.Client;

/// <summary>Typed calls to the QaaS v1 HTTP API; non-success responses become <see cref="ApiException"/>.</summary>
public sealed class QaasClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<JsonElement> UploadModelAsync(string path, CancellationToken ct) =>
        await UploadFileAsync("/v1/models?name=" + Uri.EscapeDataString(Path.GetFileNameWithoutExtension(path)), path, ct);

    public async Task<JsonElement> UploadDatasetAsync(string path, CancellationToken ct) =>
        await UploadFileAsync("/v1/datasets?name=" + Uri.EscapeDataString(Path.GetFileNameWithoutExtension(path)), path, ct);

    /// <summary>Streams the file as application/octet-stream so large models are never buffered in memory.</summary>
    private async Task<JsonElement> UploadFileAsync(string url, string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        using var content = new StreamContent(file, 81920);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = file.Length;
        using var response = await http.PostAsync(url, content, ct);
        return await ReadJsonAsync(response, ct);
    }

    public async Task<Job> SubmitJobAsync(JsonObject request, CancellationToken ct)
    {
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/jobs", content, ct);
        return ToJob(await ReadJsonAsync(response, ct));
    }

    /// <summary>DELETE of a resource this client created (e.g. "/v1/models/{id}"); a 404 counts as done.</summary>
    public async Task DeleteAsync(string path, CancellationToken ct)
    {
        using var response = await http.DeleteAsync(path, ct);
        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
            await ReadJsonAsync(response, ct);
    }

    public async Task<Job> GetJobAsync(string id, CancellationToken ct) => ToJob(await GetJsonAsync($"/v1/jobs/{Escape(id)}", ct));

    public async Task<Job> CancelJobAsync(string id, CancellationToken ct)
    {
        using var response = await http.PostAsync($"/v1/jobs/{Escape(id)}/cancel", null, ct);
        return ToJob(await ReadJsonAsync(response, ct));
    }

    /// <summary>Items per list request; the server allows 1..500.</summary>
    public const int DefaultPageSize = 100;

    public async Task<IReadOnlyList<Job>> ListJobsAsync(string? status, int pageSize, CancellationToken ct) =>
        (await AllItemsAsync("/v1/jobs" + (status is null ? "" : "?status=" + Uri.EscapeDataString(status)), pageSize, ct))
            .Select(ToJob).ToList();

    public Task<IReadOnlyList<JsonElement>> ListModelsAsync(int pageSize, CancellationToken ct) => AllItemsAsync("/v1/models", pageSize, ct);

    /// <summary>Every item of a paged list: pages of <paramref name="pageSize"/>, following each page's `next` cursor.</summary>
    private async Task<IReadOnlyList<JsonElement>> AllItemsAsync(string path, int pageSize, CancellationToken ct)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var url = $"{path}{(path.Contains('?') ? '&' : '?')}limit={pageSize}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await GetJsonAsync(url, ct);
            items.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        } while (cursor is not null);
        return items;
    }

    public Task<JsonElement> PresetsAsync(CancellationToken ct) => GetJsonAsync("/v1/presets", ct);

    public async Task DownloadAsync(string url, string destination, CancellationToken ct)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode) await ReadJsonAsync(response, ct);
        var temp = destination + ".part";
        await using (var file = File.Create(temp))
            await response.Content.CopyToAsync(file, ct);
        File.Move(temp, destination, overwrite: true);
    }

    /// <summary>Reads the job's event stream until the server ends it (after the final status event).</summary>
    public async IAsyncEnumerable<ServerEvent> EventsAsync(string id, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{Escape(id)}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode) await ReadJsonAsync(response, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream);
        string? eventId = null, type = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (type is not null || data.Length > 0) yield return new ServerEvent(eventId, type ?? "message", data.ToString());
                eventId = type = null;
                data.Clear();
                continue;
            }
            if (line.StartsWith(':')) continue; // keep-alive comment
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": eventId = value; break;
                case "event": type = value; break;
                case "data": if (data.Length > 0) data.Append('\n'); data.Append(value); break;
            }
        }
    }

    private async Task<JsonElement> GetJsonAsync(string url, CancellationToken ct)
    {
        using var response = await http.GetAsync(url, ct);
        return await ReadJsonAsync(response, ct);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        JsonElement? doc = null;
        try { if (body.Length > 0) doc = JsonDocument.Parse(body).RootElement.Clone(); } catch (JsonException) { }
        if (response.IsSuccessStatusCode && doc is { } ok) return ok;
        if (response.IsSuccessStatusCode) throw new ApiException((int)response.StatusCode, "Unexpected response", "the body is not JSON.", null);
        string title = response.ReasonPhrase ?? "Error", detail = body.Length > 0 && doc is null ? body : "";
        if (doc is { ValueKind: JsonValueKind.Object } p)
        {
            if (p.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String) title = t.GetString()!;
            if (p.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String) detail = d.GetString()!;
            if (p.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                detail += string.Concat(errors.EnumerateObject().Select(e => $"\n  {e.Name}: {string.Join("; ", e.Value.EnumerateArray().Select(x => x.ToString()))}"));
        }
        throw new ApiException((int)response.StatusCode, title, detail.Length == 0 ? null : detail, doc);
    }

    private static Job ToJob(JsonElement e) => e.Deserialize<Job>(Json)! with { Raw = e };

    private static string Escape(string id) => Uri.EscapeDataString(id);
}
