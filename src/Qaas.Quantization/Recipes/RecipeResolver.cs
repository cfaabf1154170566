namespace Qaas.Quantization.Recipes;

/// <summary>Expands a recipe's preset (the recipe's own fields win) and checks every field; errors name the field.</summary>
public static class RecipeResolver
{
    public static Recipe Resolve(Recipe recipe, string field = "recipe")
    {
        var resolved = recipe.Preset is null ? Complete(recipe) : Merge(PresetOf(recipe.Preset, field), recipe);
        var errors = RecipeValidator.Validate(resolved, field);
        if (errors.Count > 0) throw new RecipeValidationException(errors);
        return resolved;
    }

    static Recipe PresetOf(string name, string field) =>
        Presets.All.TryGetValue(name, out var preset)
            ? preset
            : throw new RecipeValidationException(new Dictionary<string, string[]>
            {
                [$"{field}.preset"] = [$"unknown preset '{name}'; known: {string.Join(", ", Presets.All.Keys)}"],
            });

    // A recipe without a preset starts from int8-static's defaults for whatever it leaves out.
    static Recipe Complete(Recipe r) => Merge(Presets.All["int8-static"], r) with { Preset = null };

    static Recipe Merge(Recipe p, Recipe r) => new()
    {
        Preset = r.Preset ?? p.Preset,
        Weights = Merge(p.Weights, r.Weights),
        Activations = Merge(p.Activations, r.Activations),
        Format = r.Format ?? p.Format,
        Prefill = r.Prefill ?? p.Prefill,
        Transforms = r.Transforms ?? p.Transforms,
        MixedPrecision = Merge(p.MixedPrecision, r.MixedPrecision),
        Acceptance = r.Acceptance ?? p.Acceptance,
        Seed = r.Seed ?? p.Seed,
        Nodes = r.Nodes ?? p.Nodes,
        Evaluation = Merge(p.Evaluation, r.Evaluation),
    };

    static WeightSpec? Merge(WeightSpec? p, WeightSpec? r) => r is null ? p : p is null ? r : new()
    {
        Type = r.Type ?? p.Type,
        Granularity = r.Granularity ?? p.Granularity,
        GroupSize = r.GroupSize ?? p.GroupSize,
        Symmetric = r.Symmetric ?? p.Symmetric,
        Algorithm = r.Algorithm ?? p.Algorithm,
    };

    static ActivationSpec? Merge(ActivationSpec? p, ActivationSpec? r) => r is null ? p : p is null ? r : new()
    {
        Type = r.Type ?? p.Type,
        Calibration = r.Calibration ?? p.Calibration,
        Percentile = r.Percentile ?? p.Percentile,
        Symmetric = r.Symmetric ?? p.Symmetric,
    };

    static MixedPrecisionSpec? Merge(MixedPrecisionSpec? p, MixedPrecisionSpec? r) => r is null ? p : p is null ? r : new()
    {
        Candidates = r.Candidates ?? p.Candidates,
        Objective = r.Objective ?? p.Objective,
        Budget = r.Budget is null ? p.Budget : p.Budget is null ? r.Budget : new()
        {
            SizeRatio = r.Budget.SizeRatio ?? p.Budget.SizeRatio,
            LatencyRatio = r.Budget.LatencyRatio ?? p.Budget.LatencyRatio,
        },
    };

    static EvaluationSpec? Merge(EvaluationSpec? p, EvaluationSpec? r) => r is null ? p : p is null ? r : new()
    {
        Latency = r.Latency ?? p.Latency,
        Repeats = r.Repeats ?? p.Repeats,
        Threads = r.Threads ?? p.Threads,
        ExecutionProvider = r.ExecutionProvider ?? p.ExecutionProvider,
    };
}
