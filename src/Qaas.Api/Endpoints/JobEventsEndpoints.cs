using System.Text;
using Microsoft.EntityFrameworkCore;
using Qaas.Storage;
using Qaas.Storage.Entities;

namespace Qaas.Api.Endpoints;

/// <summary>GET /v1/jobs/{id}/events: server-sent events from job_events rows; Last-Event-ID resumes; ends after the final status.</summary>
public static class JobEventsEndpoints
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static void MapJobEvents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/jobs/{id:guid}/events", Stream).WithTags("Jobs").RequireAuthorization()
            .Produces(200, contentType: "text/event-stream").ProducesProblem(404)
            .WithSummary("Server-sent events: progress, log, status (final); resume with Last-Event-ID");
    }

    private static async Task Stream(Guid id, HttpContext http, QaasDbContext db, IHostApplicationLifetime lifetime, CancellationToken aborted)
    {
        // A node shutting down ends its streams (clients resume with Last-Event-ID elsewhere) instead of waiting for their jobs.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(aborted, lifetime.ApplicationStopping);
        var ct = stopping.Token;
        var job = await JobsEndpoints.FindAsync(db, http, id, ct);
        var last = long.TryParse(http.Request.Headers["Last-Event-ID"].ToString(), out var l) ? l
            : long.TryParse(http.Request.Query["lastEventId"], out l) ? l : 0;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.Body.FlushAsync(ct);
        var quietSince = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            List<JobEvent> batch;
            try { batch = await db.JobEvents.AsNoTracking().Where(e => e.JobId == job.Id && e.Id > last).OrderBy(e => e.Id).Take(500).ToListAsync(ct); }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested) { return; }
            // The database went away mid-stream: end the stream cleanly (the response has started, so no problem can be
            // sent); the client resumes with Last-Event-ID once it is back.
            catch (Npgsql.NpgsqlException) { return; }
            var ended = false;
            foreach (var e in batch)
            {
                await http.Response.WriteAsync(Format(e), ct);
                last = e.Id;
                ended |= e.Type == "status" && IsFinal(e.Payload);
            }
            if (batch.Count > 0) { await http.Response.Body.FlushAsync(ct); quietSince = DateTime.UtcNow; }
            // A job that had ended when the stream opened has nothing more to say once its events are out (a client
            // resuming after the final status would otherwise wait forever).
            if (ended || batch.Count == 0 && JobStatus.IsEnded(job.Status)) return;
            if (batch.Count == 500) continue;
            if (DateTime.UtcNow - quietSince > Heartbeat)
            {
                await http.Response.WriteAsync(": keep-alive\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
                quietSince = DateTime.UtcNow;
            }
            try { await Task.Delay(Poll, ct); } catch (OperationCanceledException) { return; }
        }
    }

    private static bool IsFinal(string payload) =>
        JobStatus.All.Where(JobStatus.IsEnded).Any(s => payload.Contains($"\"{s}\"", StringComparison.Ordinal));

    private static string Format(JobEvent e)
    {
        var sb = new StringBuilder();
        sb.Append("id: ").Append(e.Id).Append('\n');
        sb.Append("event: ").Append(e.Type).Append('\n');
        foreach (var line in e.Payload.Split('\n')) sb.Append("data: ").Append(line).Append('\n');
        sb.Append('\n');
        return sb.ToString();
    }
}
