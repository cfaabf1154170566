using Npgsql;
using Qaas.Storage.Entities;

namespace Qaas.Api.Endpoints;

/// <summary>
/// Read-only load of one job with its artifacts for GET /v1/jobs/{id}, the hottest read path: one prepared statement
/// (job LEFT JOIN artifacts) on plain Npgsql, no DbContext, no change tracking. Other tenants' jobs read as missing.
/// </summary>
internal static class JobLookup
{
    private const string Sql = """
        SELECT j.id, j.model_id, j.recipe, j.preset, j.calibration_dataset_id, j.evaluation_dataset_id, j.input_shapes,
               j.status, j.stage, j.progress, j.pool, j.priority, j.error, j.metrics, j.webhook_url,
               j.created_at, j.started_at, j.finished_at, j.updated_at,
               a.name, a.blob_sha256, a.size_bytes, a.content_type, a.created_at
        FROM jobs j LEFT JOIN artifacts a ON a.job_id = j.id
        WHERE j.id = $1 AND j.tenant_id = $2
        """;

    public static async Task<JobRecord?> FindAsync(NpgsqlDataSource dataSource, Guid id, Guid tenant, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(Sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = tenant });
        await cmd.PrepareAsync(ct); // persistent per physical connection: a no-op after the first request on it
        await using var r = await cmd.ExecuteReaderAsync(ct);
        JobRecord? job = null;
        while (await r.ReadAsync(ct))
        {
            job ??= new JobRecord
            {
                Id = r.GetGuid(0), TenantId = tenant, ModelId = r.GetGuid(1), Recipe = r.GetString(2), Preset = StringOrNull(r, 3),
                CalibrationDatasetId = GuidOrNull(r, 4), EvaluationDatasetId = GuidOrNull(r, 5), InputShapes = StringOrNull(r, 6),
                Status = r.GetString(7), Stage = StringOrNull(r, 8), Progress = r.GetDouble(9), Pool = r.GetString(10), Priority = r.GetInt32(11),
                Error = StringOrNull(r, 12), Metrics = StringOrNull(r, 13), WebhookUrl = StringOrNull(r, 14),
                CreatedAt = r.GetFieldValue<DateTimeOffset>(15), StartedAt = TimeOrNull(r, 16), FinishedAt = TimeOrNull(r, 17),
                UpdatedAt = r.GetFieldValue<DateTimeOffset>(18),
            };
            if (r.IsDBNull(19)) continue;
            job.Artifacts.Add(new ArtifactRecord
            {
                JobId = job.Id, Name = r.GetString(19), BlobSha256 = r.GetString(20), SizeBytes = r.GetInt64(21),
                ContentType = r.GetString(22), CreatedAt = r.GetFieldValue<DateTimeOffset>(23),
            });
        }
        return job;
    }

    private static string? StringOrNull(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static Guid? GuidOrNull(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetGuid(i);

    private static DateTimeOffset? TimeOrNull(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
}
