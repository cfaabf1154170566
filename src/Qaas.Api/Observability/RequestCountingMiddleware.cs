namespace Qaas.Api.Observability;

public static class RequestCountingMiddleware
{
    public static IApplicationBuilder UseRequestCounting(this IApplicationBuilder app)
    {
        var counter = app.ApplicationServices.GetRequiredService<RequestCounter>(); // a singleton: resolved once, not per request
        return app.Use(async (http, next) =>
        {
            // Routing has already matched (it wraps the whole pipeline); read the route now, because the exception
            // handler clears the endpoint before it writes its problem.
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            try { await next(http); }
            finally
            {
                counter.Add(http.Request.Method, route, http.Response.StatusCode);
            }
        });
    }
}
