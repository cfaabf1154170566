using System.Text.Json;
using Qaas.Api.Problems;

namespace Qaas.Api.Recipes;

/// <summary>Parses and validates a recipe; every error names its field (e.g. "recipe.weights.granularity").</summary>
public static class RecipeValidator
{
    private static readonly string[] WeightTypes = ["int8", "uint8", "int4", "uint4", "int3", "int2", "fp8e4m3fn", "fp8e5m2", "fp4e2m1", "nf4", "fp16", "bf16"];
    private static readonly string[] ActivationTypes = ["none", "uint8", "int8", "int16", "fp8e4m3fn", "fp8e5m2", "fp16", "bf16", "dynamic"];
    private static readonly string[] Granularities = ["per-tensor", "per-channel", "per-group"];
    private static readonly int[] GroupSizes = [16, 32, 64, 128, 256];
    private static readonly string[] Algorithms = ["rtn", "gptq", "awq", "adaround"];
    private static readonly string[] Calibrations = ["minmax", "percentile", "entropy", "mse"];
    private static readonly string[] Formats = ["qdq", "qoperator", "matmulnbits"];
    private static readonly string[] TransformNames = ["fold-batchnorm", "cross-layer-equalization", "bias-correction", "smoothquant"];
    private static readonly string[] Objectives = ["size", "latency"];
    private static readonly string[] Providers = ["cpu", "cuda"];

    /// <summary>Resolves `recipe` / job-level `preset` into a complete recipe.</summary>
    public static Recipe Resolve(JsonElement? recipeJson, string? jobPreset, JsonSerializerOptions json)
    {
        if (recipeJson is { ValueKind: not JsonValueKind.Null } && jobPreset is not null)
            throw ApiProblemException.Field("preset", "give either 'recipe' or 'preset', not both.");
        Recipe recipe;
        if (recipeJson is { ValueKind: not JsonValueKind.Null } r)
        {
            if (r.ValueKind != JsonValueKind.Object) throw ApiProblemException.Field("recipe", "must be an object.");
            try { recipe = r.Deserialize<Recipe>(json)!; }
            catch (JsonException e)
            {
                var field = "recipe." + JsonProblem.FieldOf(e);
                var unknown = e.Message.Contains("could not be mapped", StringComparison.Ordinal);
                throw ApiProblemException.Field(field.TrimEnd('.'), unknown ? "is not a recipe field." : e.Message.Split(" Path:", 2)[0]);
            }
        }
        else if (jobPreset is not null) recipe = new Recipe { Preset = jobPreset };
        else throw ApiProblemException.Field("recipe", "give a 'recipe' or a 'preset'.");

        recipe = Expand(recipe);
        Validate(recipe);
        return recipe;
    }

    /// <summary>Fills what the recipe leaves out from its preset.</summary>
    private static Recipe Expand(Recipe r)
    {
        if (r.Preset is null) return r;
        if (!Presets.All.TryGetValue(r.Preset, out var p))
            throw ApiProblemException.Field("recipe.preset", $"unknown preset '{r.Preset}'; known: {string.Join(", ", Presets.All.Keys)}.");
        return r with
        {
            Weights = r.Weights is null ? p.Weights : p.Weights is null ? r.Weights : r.Weights with
            {
                Type = r.Weights.Type ?? p.Weights.Type, Granularity = r.Weights.Granularity ?? p.Weights.Granularity,
                GroupSize = r.Weights.GroupSize ?? p.Weights.GroupSize, Symmetric = r.Weights.Symmetric ?? p.Weights.Symmetric,
                Algorithm = r.Weights.Algorithm ?? p.Weights.Algorithm,
            },
            Activations = r.Activations is null ? p.Activations : p.Activations is null ? r.Activations : r.Activations with
            {
                Type = r.Activations.Type ?? p.Activations.Type, Calibration = r.Activations.Calibration ?? p.Activations.Calibration,
                Percentile = r.Activations.Percentile ?? p.Activations.Percentile, Symmetric = r.Activations.Symmetric ?? p.Activations.Symmetric,
            },
            Format = r.Format ?? p.Format,
            Transforms = r.Transforms ?? p.Transforms,
            MixedPrecision = r.MixedPrecision ?? p.MixedPrecision,
        };
    }

    private static void Validate(Recipe r)
    {
        if (r.Weights is { } w)
        {
            OneOf("recipe.weights.type", w.Type, WeightTypes);
            OneOf("recipe.weights.granularity", w.Granularity, Granularities);
            OneOf("recipe.weights.algorithm", w.Algorithm, Algorithms);
            if (w.Granularity == "per-group" && (w.GroupSize is not { } g || !GroupSizes.Contains(g)))
                throw ApiProblemException.Field("recipe.weights.groupSize", $"per-group needs groupSize in {string.Join('/', GroupSizes)}.");
        }
        if (r.Activations is { } a)
        {
            OneOf("recipe.activations.type", a.Type, ActivationTypes);
            OneOf("recipe.activations.calibration", a.Calibration, Calibrations);
            if (a.Percentile is { } pct && (pct <= 0 || pct > 100)) throw ApiProblemException.Field("recipe.activations.percentile", "must be in (0, 100].");
        }
        OneOf("recipe.format", r.Format, Formats);
        for (var i = 0; i < (r.Transforms?.Count ?? 0); i++) OneOf($"recipe.transforms[{i}]", r.Transforms![i], TransformNames);
        if (r.MixedPrecision is { } mp)
        {
            OneOf("recipe.mixedPrecision.objective", mp.Objective, Objectives);
            for (var i = 0; i < (mp.Candidates?.Count ?? 0); i++) OneOf($"recipe.mixedPrecision.candidates[{i}]", mp.Candidates![i], WeightTypes);
            if (mp.Budget?.SizeRatio is { } sr && (sr <= 0 || sr > 1)) throw ApiProblemException.Field("recipe.mixedPrecision.budget.sizeRatio", "must be in (0, 1].");
        }
        if (r.Evaluation is { } e)
        {
            OneOf("recipe.evaluation.executionProvider", e.ExecutionProvider, Providers);
            if (e.Repeats is < 1 or > 10000) throw ApiProblemException.Field("recipe.evaluation.repeats", "must be between 1 and 10000.");
            if (e.Threads is < 1 or > 256) throw ApiProblemException.Field("recipe.evaluation.threads", "must be between 1 and 256.");
        }
        if (r.Weights is null && r.Activations is null)
            throw ApiProblemException.Field("recipe.weights", "a recipe needs 'weights' or 'activations' (or a 'preset').");
    }

    private static void OneOf(string field, string? value, string[] allowed)
    {
        if (value is not null && !allowed.Contains(value))
            throw ApiProblemException.Field(field, $"'{value}' is not one of {string.Join(", ", allowed)}.");
    }
}
