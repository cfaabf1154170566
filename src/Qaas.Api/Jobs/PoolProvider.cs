using Qaas.Quantization.Recipes;

namespace Qaas.Api.Jobs;

/// <summary>
/// A recipe that names no execution provider runs on its pool's: CUDA on the gpu pool (falling back to the CPU, with a
/// warning, where the CUDA provider cannot load), the CPU elsewhere. Resolved before any stage, so that quantization
/// choices that depend on the provider (the w4 presets' prompt path) see the same one as evaluation.
/// </summary>
public static class PoolProvider
{
    public static Recipe Apply(Recipe recipe, string pool) => recipe.Evaluation?.ExecutionProvider is not null
        ? recipe
        : recipe with { Evaluation = (recipe.Evaluation ?? new EvaluationSpec()) with { ExecutionProvider = pool == "gpu" ? "cuda" : "cpu" } };
}
