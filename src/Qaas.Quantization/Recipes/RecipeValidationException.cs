namespace Qaas.Quantization.Recipes;

/// <summary>A recipe that cannot be run; <see cref="Errors"/> maps a field path (e.g. "recipe.weights.type") to what is wrong.</summary>
public sealed class RecipeValidationException(IReadOnlyDictionary<string, string[]> errors) : Exception(Describe(errors))
{
    /// <summary>"field: problem, problem; field: problem".</summary>
    public static string Describe(IReadOnlyDictionary<string, string[]> errors) =>
        string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));

    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}
