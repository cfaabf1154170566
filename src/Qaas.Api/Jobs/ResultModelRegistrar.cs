using System.Text.Json;
using Npgsql;
using Qaas.Api.Inspection;
using Qaas.Api.Pipeline;
using Qaas.Storage.Blobs;

namespace Qaas.Api.Jobs;

/// <summary>
/// A succeeded job's "model.onnx" artifact (plus "model.onnx.data" when present) becomes a model of the tenant with
/// parentModelId and jobId, so it can be downloaded, evaluated or quantized further like any upload. A job registers one
/// model: a run restarted after its node died between registering and recording its end updates the model it made.
/// </summary>
public sealed class ResultModelRegistrar(NpgsqlDataSource db, IModelInspector inspector)
{
    public const string ModelArtifact = "model.onnx";
    public const string DataArtifact = "model.onnx.data";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <returns>The new model's id, or null when the job produced no model.</returns>
    public async Task<Guid?> RegisterAsync(JobContext context, IReadOnlyDictionary<string, BlobInfo> stored, CancellationToken ct)
    {
        if (!context.Artifacts.TryGetValue(ModelArtifact, out var model) || !stored.TryGetValue(ModelArtifact, out var blob)) return null;
        var description = await inspector.InspectAsync(model.Path, ct);
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        Guid id;
        await using (var earlier = new NpgsqlCommand("SELECT id FROM models WHERE job_id = @j ORDER BY created_at LIMIT 1 FOR UPDATE", conn, tx))
        {
            earlier.Parameters.AddWithValue("j", context.Job.Id);
            id = await earlier.ExecuteScalarAsync(ct) is Guid existing ? existing : Guid.NewGuid();
        }
        await using (var files = new NpgsqlCommand("DELETE FROM model_files WHERE model_id = @m", conn, tx))
        {
            files.Parameters.AddWithValue("m", id);
            await files.ExecuteNonQueryAsync(ct);
        }
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO models (id, tenant_id, name, blob_sha256, size_bytes, description, parent_model_id, job_id)
            VALUES (@id, @t, @n, @h, @s, @d::jsonb, @p, @j)
            ON CONFLICT (id) DO UPDATE SET blob_sha256 = excluded.blob_sha256, size_bytes = excluded.size_bytes, description = excluded.description
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("t", context.Job.TenantId);
            cmd.Parameters.AddWithValue("n", $"{context.Model.Name}-{context.Job.Preset ?? "quantized"}");
            cmd.Parameters.AddWithValue("h", blob.Sha256);
            cmd.Parameters.AddWithValue("s", blob.SizeBytes);
            cmd.Parameters.AddWithValue("d", JsonSerializer.Serialize(description, Json));
            cmd.Parameters.AddWithValue("p", context.Model.Id);
            cmd.Parameters.AddWithValue("j", context.Job.Id);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        if (stored.TryGetValue(DataArtifact, out var data))
        {
            foreach (var (name, b) in new[] { (ModelArtifact, blob), (DataArtifact, data) })
            {
                await using var f = new NpgsqlCommand("INSERT INTO model_files (model_id, file_name, blob_sha256, size_bytes) VALUES (@m, @n, @h, @s)", conn, tx);
                f.Parameters.AddWithValue("m", id);
                f.Parameters.AddWithValue("n", name);
                f.Parameters.AddWithValue("h", b.Sha256);
                f.Parameters.AddWithValue("s", b.SizeBytes);
                await f.ExecuteNonQueryAsync(ct);
            }
        }
        await tx.CommitAsync(ct);
        return id;
    }
}
