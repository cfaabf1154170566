using System.Text.Json;

namespace Qaas.Quantization.Reports.Html;

/// <summary>
/// Lenient reads of report.json: property names match case-insensitively (camelCase or PascalCase), and a missing
/// or mistyped value reads as null, so a partial report (a failed stage, an older version) still renders.
/// </summary>
public static class ReportJson
{
    public static JsonElement? Get(this JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        foreach (var p in e.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                return p.Value.ValueKind == JsonValueKind.Null ? null : p.Value;
        return null;
    }

    public static JsonElement? Get(this JsonElement? e, string name) => e is { } x ? x.Get(name) : null;

    public static double? Number(this JsonElement? e) => e switch
    {
        { ValueKind: JsonValueKind.Number } x => x.GetDouble(),
        // Non-finite numbers may be written as named literals ("Infinity", "NaN").
        { ValueKind: JsonValueKind.String } x when double.TryParse(x.GetString(), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    public static double? Number(this JsonElement? e, string name) => e.Get(name).Number();

    public static string? Text(this JsonElement? e, string name) => e.Get(name) switch
    {
        { ValueKind: JsonValueKind.String } x => x.GetString(),
        { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } x => x.GetRawText(),
        _ => null,
    };

    public static bool? Bool(this JsonElement? e, string name) => e.Get(name) switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => null,
    };

    public static IEnumerable<JsonElement> Items(this JsonElement? e) =>
        e is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray() : [];

    public static IEnumerable<JsonProperty> Properties(this JsonElement? e) =>
        e is { ValueKind: JsonValueKind.Object } o ? o.EnumerateObject() : [];
}
