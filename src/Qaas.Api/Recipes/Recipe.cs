using System.Text.Json.Serialization;

namespace Qaas.Api.Recipes;

/// <summary>Recipe v1 (see DESIGN.md). Unknown members are rejected when parsing (RecipeValidator) so typos surface as 400s.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record Recipe
{
    public string? Preset { get; init; }
    public WeightsSpec? Weights { get; init; }
    public ActivationsSpec? Activations { get; init; }
    public string? Format { get; init; }
    public List<string>? Transforms { get; init; }
    public MixedPrecisionSpec? MixedPrecision { get; init; }
    public AcceptanceSpec? Acceptance { get; init; }
    public int? Seed { get; init; }
    public NodesSpec? Nodes { get; init; }
    public EvaluationSpec? Evaluation { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record WeightsSpec
{
    public string? Type { get; init; }
    public string? Granularity { get; init; }
    public int? GroupSize { get; init; }
    public bool? Symmetric { get; init; }
    public string? Algorithm { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ActivationsSpec
{
    public string? Type { get; init; }
    public string? Calibration { get; init; }
    public double? Percentile { get; init; }
    public bool? Symmetric { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record MixedPrecisionSpec
{
    public List<string>? Candidates { get; init; }
    public string? Objective { get; init; }
    public BudgetSpec? Budget { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BudgetSpec
{
    public double? SizeRatio { get; init; }
    public double? LatencyRatio { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AcceptanceSpec
{
    public double? MinSqnrDb { get; init; }
    public double? MinCosine { get; init; }
    public double? MaxAccuracyDrop { get; init; }
    public double? MinSpeedup { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record NodesSpec
{
    public NodeSelector? Include { get; init; }
    public NodeSelector? Exclude { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record NodeSelector
{
    public List<string>? Names { get; init; }
    public List<string>? OpTypes { get; init; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record EvaluationSpec
{
    public bool? Latency { get; init; }
    public int? Repeats { get; init; }
    public int? Threads { get; init; }
    public string? ExecutionProvider { get; init; }
}
