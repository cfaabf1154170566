using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Qaas.Api.Problems;

/// <summary>
/// Writes a problem as application/problem+json whatever the request's Accept header says. ASP.NET Core's own writer
/// declines when Accept names no JSON type (an event-stream client, a browser asking for HTML, a download asking for
/// octet-stream), and an error then left nothing to write: an empty 500 instead of the 404, or the status-code pages'
/// plain text. Registered after the default writer, so it only answers what that one declines.
/// </summary>
public sealed class ProblemJsonFallbackWriter(IOptions<ProblemDetailsOptions> problemOptions, IOptions<JsonOptions> jsonOptions)
    : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        problemOptions.Value.CustomizeProblemDetails?.Invoke(context);
        // What ASP.NET Core's own writer adds: a title for the status, and the trace id to find the request in the log.
        var problem = context.ProblemDetails;
        problem.Status ??= context.HttpContext.Response.StatusCode;
        problem.Title ??= Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(problem.Status.Value);
        problem.Extensions.TryAdd("traceId", System.Diagnostics.Activity.Current?.Id ?? context.HttpContext.TraceIdentifier);
        var response = context.HttpContext.Response;
        return new ValueTask(response.WriteAsJsonAsync(context.ProblemDetails, jsonOptions.Value.SerializerOptions, "application/problem+json"));
    }
}
