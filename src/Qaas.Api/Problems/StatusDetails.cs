namespace Qaas.Api.Problems;

/// <summary>
/// A detail for the problems ASP.NET Core writes itself (status-code pages, parameter binding, content negotiation),
/// which otherwise carry only a title: every error response says what to change.
/// </summary>
public static class StatusDetails
{
    public static void Fill(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!string.IsNullOrEmpty(problem.Detail))
            return;
        var request = context.HttpContext.Request;
        var resource = $"{request.Method} {request.Path}";
        problem.Detail = problem.Status switch
        {
            400 => $"{resource}: a route, query or header value could not be read (a number, a UUID or a date in the wrong format?).",
            404 => $"{resource}: no such resource (ids are UUIDs; see GET /swagger for the routes).",
            405 => $"{resource}: this route does not take {request.Method}.",
            415 => $"{resource}: Content-Type '{request.ContentType ?? "(none)"}' is not accepted here; see the API document for the types this route takes.",
            416 => $"{resource}: the requested range lies outside the content; the Content-Range header gives its length.",
            _ => null,
        };
    }
}
