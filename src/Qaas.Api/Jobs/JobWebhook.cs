using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Qaas.Api.Jobs;

/// <summary>Tells a job's webhookUrl that the job ended: POST { id, status, error, metrics }, a few tries, best effort.</summary>
public sealed class JobWebhook(NpgsqlDataSource db, IHttpClientFactory http, JobEventWriter events, ILogger<JobWebhook> logger)
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)];

    public async Task NotifyAsync(Guid jobId, CancellationToken ct)
    {
        string? url; string status; string? error, metrics;
        await using (var cmd = db.CreateCommand("SELECT webhook_url, status, error::text, metrics::text FROM jobs WHERE id = @j"))
        {
            cmd.Parameters.AddWithValue("j", jobId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct) || r.IsDBNull(0)) return;
            url = r.GetString(0); status = r.GetString(1);
            error = r.IsDBNull(2) ? null : r.GetString(2);
            metrics = r.IsDBNull(3) ? null : r.GetString(3);
        }
        var payload = new
        {
            id = jobId, status,
            error = error is null ? (JsonElement?)null : JsonSerializer.Deserialize<JsonElement>(error),
            metrics = metrics is null ? (JsonElement?)null : JsonSerializer.Deserialize<JsonElement>(metrics),
        };
        var client = http.CreateClient(nameof(JobWebhook));
        client.Timeout = TimeSpan.FromSeconds(10);
        foreach (var wait in Backoff)
        {
            await Task.Delay(wait, ct);
            try
            {
                using var response = await client.PostAsJsonAsync(url, payload, ct);
                if (response.IsSuccessStatusCode) return;
                logger.LogWarning("Webhook {Url} for job {JobId} answered {Status}", url, jobId, (int)response.StatusCode);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                logger.LogWarning("Webhook {Url} for job {JobId} failed: {Message}", url, jobId, e.Message);
            }
        }
        await events.AppendAsync(jobId, "log", new { level = "warning", message = $"Webhook {url} could not be delivered." }, CancellationToken.None);
    }
}
