using System.Text.Json.Serialization;

namespace Qaas.Quantization.Recipes;

/// <summary>What to quantize, how, and what counts as good enough (DESIGN.md "Recipe (v1)").</summary>
public sealed record Recipe
{
    public string? Preset { get; init; }
    public WeightSpec? Weights { get; init; }
    public ActivationSpec? Activations { get; init; }
    public string? Format { get; init; }
    /// <summary>"int8": a MatMulNBits model also gets an int8 path that runs when its input has more than one row
    /// (a prompt), <see cref="WeightOnly.PrefillBranch"/>; "auto" (the MatMulNBits presets): that path where it applies
    /// and its int8 weights stay within <see cref="WeightOnly.PrefillBranch.AutoBudgetBytes"/>; "none" (default
    /// otherwise) keeps MatMulNBits for every input.</summary>
    public string? Prefill { get; init; }
    public IReadOnlyList<string>? Transforms { get; init; }
    public MixedPrecisionSpec? MixedPrecision { get; init; }
    public AcceptanceSpec? Acceptance { get; init; }
    public int? Seed { get; init; }
    public NodeSelection? Nodes { get; init; }
    public EvaluationSpec? Evaluation { get; init; }
}

public sealed record WeightSpec
{
    public string? Type { get; init; }
    public string? Granularity { get; init; }
    public int? GroupSize { get; init; }
    public bool? Symmetric { get; init; }
    public string? Algorithm { get; init; }
}

public sealed record ActivationSpec
{
    public string? Type { get; init; }
    public string? Calibration { get; init; }
    public double? Percentile { get; init; }
    public bool? Symmetric { get; init; }
}

public sealed record MixedPrecisionSpec
{
    public IReadOnlyList<string>? Candidates { get; init; }
    public string? Objective { get; init; }
    public BudgetSpec? Budget { get; init; }
}

public sealed record BudgetSpec
{
    public double? SizeRatio { get; init; }
    public double? LatencyRatio { get; init; }
}

public sealed record AcceptanceSpec
{
    public double? MinSqnrDb { get; init; }
    public double? MinCosine { get; init; }
    public double? MaxAccuracyDrop { get; init; }
    public double? MinSpeedup { get; init; }
}

public sealed record NodeSelection
{
    public NodeFilter? Include { get; init; }
    public NodeFilter? Exclude { get; init; }
}

public sealed record NodeFilter
{
    public IReadOnlyList<string>? Names { get; init; }
    public IReadOnlyList<string>? OpTypes { get; init; }
}

public sealed record EvaluationSpec
{
    public bool? Latency { get; init; }
    public int? Repeats { get; init; }
    public int? Threads { get; init; }
    public string? ExecutionProvider { get; init; }
}
