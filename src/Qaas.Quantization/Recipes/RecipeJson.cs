using System.Text.Json;
using System.Text.Json.Serialization;

namespace Qaas.Quantization.Recipes;

/// <summary>Strict JSON reading of recipes: unknown fields and wrong JSON types are errors that name the field.</summary>
public static class RecipeJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static Recipe Parse(JsonElement json, string field = "recipe")
    {
        if (json.ValueKind != JsonValueKind.Object)
            throw Error(field, "must be a JSON object");
        try
        {
            return json.Deserialize<Recipe>(Options) ?? throw Error(field, "must be a JSON object");
        }
        catch (JsonException e)
        {
            throw Error(FieldOf(field, e), Describe(e));
        }
    }

    public static Recipe Parse(string json, string field = "recipe")
    {
        using var doc = ParseDocument(json, field);
        return Parse(doc.RootElement, field);
    }

    public static string Serialize(Recipe recipe) => JsonSerializer.Serialize(recipe, Options);

    static JsonDocument ParseDocument(string json, string field)
    {
        try { return JsonDocument.Parse(json); }
        catch (JsonException e) { throw Error(field, $"malformed JSON: {e.Message}"); }
    }

    // "$.weights.foo" -> "recipe.weights.foo"; for an unknown member the path stops at its parent, so add the name.
    static string FieldOf(string prefix, JsonException e)
    {
        var path = e.Path is { Length: > 1 } p ? prefix + p[1..] : prefix;
        var unknown = UnknownMember(e);
        return unknown is null || path.EndsWith("." + unknown, StringComparison.Ordinal) ? path : $"{path}.{unknown}";
    }

    static string? UnknownMember(JsonException e)
    {
        const string marker = "The JSON property '";
        var m = e.Message;
        var start = m.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0) return null;
        start += marker.Length;
        var end = m.IndexOf('\'', start);
        return end > start ? m[start..end] : null;
    }

    static string Describe(JsonException e) =>
        UnknownMember(e) is not null ? "unknown field" : "has the wrong JSON type or is malformed";

    static RecipeValidationException Error(string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] });
}
