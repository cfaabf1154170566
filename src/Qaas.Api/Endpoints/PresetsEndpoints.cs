using Qaas.Quantization.Recipes;

namespace Qaas.Api.Endpoints;

/// <summary>GET /v1/presets: named recipes with their full expansion.</summary>
public static class PresetsEndpoints
{
    public sealed record PresetResponse(string Name, Recipe Recipe);

    public static void MapPresets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/presets", () => Results.Json(Presets.All.Select(p => new PresetResponse(p.Key, p.Value)).ToList(), RecipeJson.Options))
            .WithTags("Presets").RequireAuthorization().Produces<List<PresetResponse>>();
    }
}
