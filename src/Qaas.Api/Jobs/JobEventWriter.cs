using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Qaas.Api.Jobs;

/// <summary>Appends job events (progress, log, status) and updates the job row in the same statement batch.</summary>
public sealed class JobEventWriter(NpgsqlDataSource db)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task AppendAsync(Guid jobId, string type, object payload, CancellationToken ct = default) =>
        ExecAsync("INSERT INTO job_events (job_id, type, payload) VALUES (@j, @t, @p)", jobId, ct,
            ("t", type), ("p", JsonSerializer.Serialize(payload, Json)));

    public Task ProgressAsync(Guid jobId, string stage, double progress, CancellationToken ct = default) =>
        ExecAsync("""
            UPDATE jobs SET stage = @s, progress = @g, updated_at = now() WHERE id = @j;
            INSERT INTO job_events (job_id, type, payload) VALUES (@j, 'progress', @p);
            """, jobId, ct, ("s", stage), ("g", progress), ("p", JsonSerializer.Serialize(new { stage, progress }, Json)));

    private async Task ExecAsync(string sql, Guid jobId, CancellationToken ct, params (string Name, object Value)[] args)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.AddWithValue("j", jobId);
        foreach (var (name, value) in args)
        {
            if (name == "p") cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Jsonb) { Value = value });
            else cmd.Parameters.AddWithValue(name, value);
        }
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
