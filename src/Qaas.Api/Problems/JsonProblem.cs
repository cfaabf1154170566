using System.Text.Json;

namespace Qaas.Api.Problems;

/// <summary>Describes a System.Text.Json failure in terms a client can act on (where, and what).</summary>
public static class JsonProblem
{
    /// <param name="target">The type the body was read into: names the JSON type a top-level field wants.</param>
    public static string Describe(JsonException e, Type? target = null)
    {
        var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "the body" : e.Path;
        var message = e.Message.Split(" Path:", 2)[0];
        // System.Text.Json names .NET types ("could not be converted to System.Nullable`1[System.Guid]", or the
        // containing record); clients know JSON types.
        if (message.StartsWith("The JSON value could not be converted to", StringComparison.Ordinal))
            message = path == "the body" ? "expected a JSON object"
                : Expected(target, FieldOf(e)) is { } expected ? $"expected {expected}" : "the value has the wrong type or format";
        return $"Invalid JSON at {path}: {message}";
    }

    private static string? Expected(Type? target, string field)
    {
        var property = target?.GetProperties().FirstOrDefault(p => string.Equals(p.Name, field, StringComparison.OrdinalIgnoreCase));
        if (property is null)
            return null;
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type == typeof(Guid) ? "a UUID"
            : type == typeof(int) || type == typeof(long) ? $"an integer from {(type == typeof(int) ? int.MinValue : long.MinValue)} to {(type == typeof(int) ? int.MaxValue : long.MaxValue)}"
            : type == typeof(double) || type == typeof(float) ? "a number"
            : type == typeof(bool) ? "true or false"
            : type == typeof(string) ? "a string"
            : type == typeof(DateTimeOffset) || type == typeof(DateTime) ? "an ISO 8601 date-time"
            : null;
    }

    /// <summary>The JSON path as a field name ("$.recipe.weights.foo" -> "recipe.weights.foo").</summary>
    public static string FieldOf(JsonException e) =>
        string.IsNullOrEmpty(e.Path) ? "body" : e.Path.TrimStart('$').TrimStart('.');
}
