using System.Text.Json;
using System.Text.Json.Serialization;

namespace Qaas.Cli.Client;

/// <summary>The parts of a job resource the CLI reads; Raw keeps the whole document for --json output.</summary>
public sealed record Job(Guid Id, string Status, string? Stage, double Progress, string? Preset,
    JsonElement? Error, JsonElement? Metrics, IReadOnlyList<Artifact> Artifacts)
{
    [JsonIgnore] public JsonElement Raw { get; init; }

    public bool IsEnded => Status is "succeeded" or "failed" or "cancelled";
}

public sealed record Artifact(string Name, long SizeBytes, string ContentType, string Sha256, string Url);
