using Qaas.Api.Recipes;

namespace Qaas.Api.Endpoints;

/// <summary>GET /v1/presets: named recipes with their full expansion.</summary>
public static class PresetsEndpoints
{
    public sealed record PresetResponse(string Name, Recipe Recipe);

    // The expansion shows what a preset sets, not every field it leaves alone.
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static void MapPresets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/presets", () => Results.Json(Presets.All.Select(p => new PresetResponse(p.Key, p.Value)).ToList(), Json))
            .WithTags("Presets").RequireAuthorization().Produces<List<PresetResponse>>();
    }
}
