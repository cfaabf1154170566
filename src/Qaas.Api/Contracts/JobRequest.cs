using System.Text.Json;

namespace Qaas.Api.Contracts;

/// <summary>POST /v1/jobs body. `recipe` stays raw here and is validated by RecipeValidator so errors can name the field.</summary>
public sealed record JobRequest
{
    public Guid? ModelId { get; init; }
    public JsonElement? Recipe { get; init; }
    public string? Preset { get; init; }
    public Guid? CalibrationDatasetId { get; init; }
    public Guid? EvaluationDatasetId { get; init; }
    public Dictionary<string, long[]>? InputShapes { get; init; }
    public string? Pool { get; init; }
    public int? Priority { get; init; }
    public string? WebhookUrl { get; init; }
}
