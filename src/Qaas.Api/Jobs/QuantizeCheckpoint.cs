using System.Collections.Concurrent;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Qaas.Quantization.Static;

namespace Qaas.Api.Jobs;

/// <summary>
/// What a job's quantize stage measured (activation ranges, the transforms' per-channel means and magnitudes, the
/// acceptance search's per-node sensitivities), kept in job_checkpoints once the stage has them: a run restarted
/// after its node died starts from them and measures only what is missing.
/// </summary>
public sealed class QuantizeCheckpoint(NpgsqlDataSource db)
{
    private const string Name = "quantize";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The quantizer's caches: filled by a run, pre-filled for a restarted one.</summary>
    public sealed record Measured(StaticQdqOptions Statistics, ConcurrentDictionary<string, double> Sensitivities)
    {
        public int Count => Statistics.Ranges!.Count + Statistics.ChannelMeans!.Count + Statistics.ChannelAbsMax!.Count + Sensitivities.Count;
    }

    private sealed record Payload(Dictionary<string, float[]> Ranges, Dictionary<string, double[]> ChannelMeans,
        Dictionary<string, double[]> ChannelAbsMax, Dictionary<string, double> Sensitivities);

    /// <summary>Empty caches for a first run to fill; concurrent, so that they can be saved while the quantizer fills them.</summary>
    public static Measured Empty() => new(new StaticQdqOptions(
            Ranges: new ConcurrentDictionary<string, (float Min, float Max)>(StringComparer.Ordinal),
            ChannelMeans: new ConcurrentDictionary<string, double[]>(StringComparer.Ordinal),
            ChannelAbsMax: new ConcurrentDictionary<string, double[]>(StringComparer.Ordinal)),
        new ConcurrentDictionary<string, double>(StringComparer.Ordinal));

    /// <summary>What an earlier run saved (empty caches when nothing was).</summary>
    public async Task<Measured> LoadAsync(Guid jobId, CancellationToken ct)
    {
        var measured = Empty();
        await using var cmd = db.CreateCommand("SELECT payload::text FROM job_checkpoints WHERE job_id = @j AND name = @n");
        cmd.Parameters.AddWithValue("j", jobId);
        cmd.Parameters.AddWithValue("n", Name);
        if (await cmd.ExecuteScalarAsync(ct) is not string json || JsonSerializer.Deserialize<Payload>(json, Json) is not { } saved)
            return measured;
        var s = measured.Statistics;
        foreach (var (tensor, range) in saved.Ranges ?? [])
            if (range.Length == 2) s.Ranges![tensor] = (range[0], range[1]);
        foreach (var (name, values) in saved.ChannelMeans ?? []) s.ChannelMeans![name] = values;
        foreach (var (name, values) in saved.ChannelAbsMax ?? []) s.ChannelAbsMax![name] = values;
        foreach (var (node, sqnr) in saved.Sensitivities ?? []) measured.Sensitivities[node] = sqnr;
        return measured;
    }

    /// <summary>Saves what is measured so far every <paramref name="every"/> until <paramref name="ct"/> ends (a failed save
    /// only costs the next restart some work).</summary>
    public async Task SavePeriodicallyAsync(Guid jobId, Measured measured, TimeSpan every, ILogger logger, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, ct);
                try { await SaveAsync(jobId, measured, ct); }
                catch (Exception e) when (e is NpgsqlException or TimeoutException) { logger.LogDebug(e, "Checkpoint of job {JobId} not saved", jobId); }
            }
        }
        catch (OperationCanceledException) { }
    }

    public async Task SaveAsync(Guid jobId, Measured measured, CancellationToken ct)
    {
        if (measured.Count == 0)
            return;
        var s = measured.Statistics;
        var payload = new Payload(s.Ranges!.ToDictionary(r => r.Key, r => new[] { r.Value.Min, r.Value.Max }, StringComparer.Ordinal),
            new(s.ChannelMeans!, StringComparer.Ordinal), new(s.ChannelAbsMax!, StringComparer.Ordinal), new(measured.Sensitivities, StringComparer.Ordinal));
        await using var cmd = db.CreateCommand("""
            INSERT INTO job_checkpoints (job_id, name, payload) VALUES (@j, @n, @p)
            ON CONFLICT (job_id, name) DO UPDATE SET payload = excluded.payload, created_at = now()
            """);
        cmd.Parameters.AddWithValue("j", jobId);
        cmd.Parameters.AddWithValue("n", Name);
        cmd.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(payload, Json) });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
