using System.Globalization;
using System.Text;
using Npgsql;
using Qaas.Api.Observability;
using Qaas.Storage.Entities;

namespace Qaas.Api.Endpoints;

/// <summary>GET /metrics in the Prometheus text format: request counts, jobs by status, queue depth.</summary>
public static class MetricsEndpoints
{
    public static void MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", Write).WithTags("Health").AllowAnonymous().Produces(200, contentType: "text/plain");
    }

    private static async Task Write(HttpContext http, RequestCounter requests, NpgsqlDataSource db, CancellationToken ct)
    {
        var sb = new StringBuilder();
        sb.Append("# HELP qaas_http_requests_total HTTP requests by method, route and status.\n# TYPE qaas_http_requests_total counter\n");
        foreach (var ((method, route, status), n) in requests.Snapshot().OrderBy(k => k.Key.Route).ThenBy(k => k.Key.Status))
            sb.Append($"qaas_http_requests_total{{method=\"{method}\",route=\"{Escape(route)}\",status=\"{status}\"}} {n}\n");

        var byStatus = JobStatus.All.ToDictionary(s => s, _ => 0L);
        await using (var cmd = db.CreateCommand("SELECT status, count(*) FROM jobs GROUP BY status"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) byStatus[r.GetString(0)] = r.GetInt64(1);
        sb.Append("# HELP qaas_jobs Jobs by status.\n# TYPE qaas_jobs gauge\n");
        foreach (var (status, n) in byStatus) sb.Append($"qaas_jobs{{status=\"{status}\"}} {n}\n");
        sb.Append("# HELP qaas_queue_depth Jobs waiting for a worker.\n# TYPE qaas_queue_depth gauge\n");
        sb.Append("qaas_queue_depth ").Append(byStatus[JobStatus.Queued].ToString(CultureInfo.InvariantCulture)).Append('\n');

        http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await http.Response.WriteAsync(sb.ToString(), ct);
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
