using System.Text.Json;

namespace Qaas.Api.Problems;

/// <summary>Describes a System.Text.Json failure in terms a client can act on (where, and what).</summary>
public static class JsonProblem
{
    public static string Describe(JsonException e)
    {
        var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "the body" : e.Path;
        var message = e.Message.Split(" Path:", 2)[0];
        return $"Invalid JSON at {path}: {message}";
    }

    /// <summary>The JSON path as a field name ("$.recipe.weights.foo" -> "recipe.weights.foo").</summary>
    public static string FieldOf(JsonException e) =>
        string.IsNullOrEmpty(e.Path) ? "body" : e.Path.TrimStart('$').TrimStart('.');
}
