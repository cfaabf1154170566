namespace Qaas.Api.Observability;

public static class RequestCountingMiddleware
{
    public static IApplicationBuilder UseRequestCounting(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        try { await next(http); }
        finally
        {
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            http.RequestServices.GetRequiredService<RequestCounter>().Add(http.Request.Method, route, http.Response.StatusCode);
        }
    });
}
