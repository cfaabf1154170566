using System.Text.Json;
using Qaas.Api.Problems;
using Qaas.Quantization.Recipes;

namespace Qaas.Api.Recipes;

/// <summary>Turns a job request's <c>recipe</c> / <c>preset</c> into a resolved recipe, or a 400 that names every bad field.</summary>
public static class JobRecipe
{
    public static Recipe Resolve(JsonElement? recipeJson, string? jobPreset)
    {
        var hasRecipe = recipeJson is { ValueKind: not JsonValueKind.Null };
        if (hasRecipe && jobPreset is not null)
            throw ApiProblemException.Field("preset", "give either 'recipe' or 'preset', not both.");
        if (!hasRecipe && jobPreset is null)
            throw ApiProblemException.Field("recipe", "give a 'recipe' or a 'preset'.");
        try
        {
            var recipe = hasRecipe ? RecipeJson.Parse(recipeJson!.Value) : new Recipe { Preset = jobPreset };
            return RecipeResolver.Resolve(recipe, hasRecipe ? "recipe" : "preset");
        }
        catch (RecipeValidationException e)
        {
            var errors = e.Errors.ToDictionary(kv => NormalizeField(kv.Key, hasRecipe), kv => kv.Value);
            throw new ApiProblemException(400, RecipeValidationException.Describe(errors), errors, "Validation failed");
        }
    }

    // A job-level preset's errors are reported against "preset", not "preset.preset".
    static string NormalizeField(string field, bool hasRecipe) => !hasRecipe && field == "preset.preset" ? "preset" : field;
}
