using Npgsql;

namespace Qaas.Api.Endpoints;

/// <summary>GET /health/live (process up) and /health/ready (database reachable).</summary>
public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" })).WithTags("Health").AllowAnonymous().Produces(200);
        app.MapGet("/health/ready", async (NpgsqlDataSource db, CancellationToken ct) =>
        {
            try
            {
                await using var cmd = db.CreateCommand("SELECT 1");
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                await cmd.ExecuteScalarAsync(timeout.Token);
                return Results.Ok(new { status = "ready" });
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
            {
                return Results.Problem(statusCode: 503, title: "Not ready", detail: $"Database unreachable: {e.Message}");
            }
        }).WithTags("Health").AllowAnonymous().Produces(200).ProducesProblem(503);
    }
}
