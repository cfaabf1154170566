namespace Qaas.Api.Observability;

public static class RequestCountingMiddleware
{
    public static IApplicationBuilder UseRequestCounting(this IApplicationBuilder app)
    {
        var counter = app.ApplicationServices.GetRequiredService<RequestCounter>(); // a singleton: resolved once, not per request
        return app.Use(async (http, next) =>
        {
            try { await next(http); }
            finally
            {
                var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
                counter.Add(http.Request.Method, route, http.Response.StatusCode);
            }
        });
    }
}
