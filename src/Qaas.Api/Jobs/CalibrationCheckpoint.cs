using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Qaas.Quantization.Static;

namespace Qaas.Api.Jobs;

/// <summary>
/// The calibration statistics a job's static quantization measured (activation ranges, the transforms' per-channel
/// means and magnitudes), kept in job_checkpoints once the quantize stage has them: a run restarted after its node
/// died starts from them and calibrates only what is missing.
/// </summary>
public sealed class CalibrationCheckpoint(NpgsqlDataSource db)
{
    private const string Name = "calibration";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private sealed record Payload(Dictionary<string, float[]> Ranges, Dictionary<string, double[]> ChannelMeans, Dictionary<string, double[]> ChannelAbsMax);

    /// <summary>Empty statistics for a first run to fill.</summary>
    public static StaticQdqOptions Empty() => new(
        Ranges: new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal),
        ChannelMeans: new Dictionary<string, double[]>(StringComparer.Ordinal),
        ChannelAbsMax: new Dictionary<string, double[]>(StringComparer.Ordinal));

    /// <summary>What an earlier run saved (empty statistics when nothing was).</summary>
    public async Task<StaticQdqOptions> LoadAsync(Guid jobId, CancellationToken ct)
    {
        var statistics = Empty();
        await using var cmd = db.CreateCommand("SELECT payload::text FROM job_checkpoints WHERE job_id = @j AND name = @n");
        cmd.Parameters.AddWithValue("j", jobId);
        cmd.Parameters.AddWithValue("n", Name);
        if (await cmd.ExecuteScalarAsync(ct) is not string json || JsonSerializer.Deserialize<Payload>(json, Json) is not { } saved)
            return statistics;
        foreach (var (tensor, range) in saved.Ranges.Where(r => r.Value.Length == 2))
            statistics.Ranges![tensor] = (range[0], range[1]);
        foreach (var (name, values) in saved.ChannelMeans) statistics.ChannelMeans![name] = values;
        foreach (var (name, values) in saved.ChannelAbsMax) statistics.ChannelAbsMax![name] = values;
        return statistics;
    }

    public async Task SaveAsync(Guid jobId, StaticQdqOptions statistics, CancellationToken ct)
    {
        var payload = new Payload(
            statistics.Ranges?.ToDictionary(r => r.Key, r => new[] { r.Value.Min, r.Value.Max }, StringComparer.Ordinal) ?? [],
            new Dictionary<string, double[]>(statistics.ChannelMeans ?? new Dictionary<string, double[]>(), StringComparer.Ordinal),
            new Dictionary<string, double[]>(statistics.ChannelAbsMax ?? new Dictionary<string, double[]>(), StringComparer.Ordinal));
        if (payload.Ranges.Count + payload.ChannelMeans.Count + payload.ChannelAbsMax.Count == 0)
            return;
        await using var cmd = db.CreateCommand("""
            INSERT INTO job_checkpoints (job_id, name, payload) VALUES (@j, @n, @p)
            ON CONFLICT (job_id, name) DO UPDATE SET payload = excluded.payload, created_at = now()
            """);
        cmd.Parameters.AddWithValue("j", jobId);
        cmd.Parameters.AddWithValue("n", Name);
        cmd.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(payload, Json) });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>How many statistics a restarted run found.</summary>
    public static int Count(StaticQdqOptions statistics) =>
        (statistics.Ranges?.Count ?? 0) + (statistics.ChannelMeans?.Count ?? 0) + (statistics.ChannelAbsMax?.Count ?? 0);
}
