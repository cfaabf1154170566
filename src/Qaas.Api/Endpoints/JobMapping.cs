using System.Text.Json;
using Qaas.Api.Contracts;
using Qaas.Storage.Entities;

namespace Qaas.Api.Endpoints;

internal static class JobMapping
{
    public static JobResponse ToResponse(JobRecord j) => new(
        j.Id, j.ModelId, j.Status, j.Stage, j.Progress, j.Pool, j.Priority, j.Preset,
        Parse(j.Recipe)!.Value, j.CalibrationDatasetId, j.EvaluationDatasetId, Parse(j.InputShapes),
        j.CreatedAt, j.StartedAt, j.FinishedAt, j.UpdatedAt, Parse(j.Error), Parse(j.Metrics),
        j.Artifacts.OrderBy(a => a.Name, StringComparer.Ordinal)
            .Select(a => new ArtifactResponse(a.Name, a.SizeBytes, a.ContentType, a.BlobSha256, $"/v1/jobs/{j.Id}/artifacts/{Uri.EscapeDataString(a.Name)}"))
            .ToList(),
        j.WebhookUrl);

    private static JsonElement? Parse(string? json) => json is null ? null : JsonSerializer.Deserialize<JsonElement>(json);
}
