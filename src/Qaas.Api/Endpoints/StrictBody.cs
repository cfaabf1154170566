using System.Text.Json;
using Microsoft.Net.Http.Headers;
using Qaas.Api.Problems;

namespace Qaas.Api.Endpoints;

/// <summary>Reads a small JSON body strictly: 415 for another content type, 400 naming the field for unknown or mistyped members.</summary>
internal static class StrictBody
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mt) || !mt.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            throw new ApiProblemException(415, $"Content-Type '{request.ContentType}' is not accepted; send application/json.", title: "Unsupported media type");
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, JobsEndpoints.StrictJson, ct)
                ?? throw ApiProblemException.Field("body", "must be a JSON object.");
        }
        catch (JsonException e) when (e.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            throw ApiProblemException.Field(JsonProblem.FieldOf(e), "is not a known field.");
        }
    }
}
