using System.Text.Json;

namespace Qaas.Api.Contracts;

public sealed record JobResponse(
    Guid Id, Guid ModelId, string Status, string? Stage, double Progress, string Pool, int Priority, string? Preset,
    JsonElement Recipe, Guid? CalibrationDatasetId, Guid? EvaluationDatasetId, JsonElement? InputShapes,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset UpdatedAt,
    JsonElement? Error, JsonElement? Metrics, IReadOnlyList<ArtifactResponse> Artifacts, string? WebhookUrl);

public sealed record ArtifactResponse(string Name, long SizeBytes, string ContentType, string Sha256, string Url);
