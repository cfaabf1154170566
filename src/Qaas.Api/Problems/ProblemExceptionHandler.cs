using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Qaas.Quantization.Datasets;
using Qaas.Api.Inspection;
using Qaas.Storage.Blobs;

namespace Qaas.Api.Problems;

/// <summary>Turns exceptions into problem details; anything caused by the request is a 4xx, never a 500.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var (status, title, detail, errors) = exception switch
        {
            ApiProblemException p => (p.Status, p.Title, p.Detail, p.Errors),
            BlobTooLargeException b => (413, "Payload too large", b.Message, null),
            Qaas.Onnx.Io.OnnxFormatException m => (400, "Invalid model", m.Message, null),
            DatasetFormatException d => (400, "Invalid dataset", d.Message, null),
            JsonException j => (400, "Malformed JSON", JsonProblem.Describe(j), null),
            BadHttpRequestException b => (b.StatusCode, "Bad request", b.Message, null),
            InvalidDataException z => (400, "Bad request", z.Message, null),
            _ when UnstorableText(exception) => (400, "Bad request",
                "A text in the request (a name, a recipe string, ...) holds a NUL character (U+0000), which cannot be stored; remove it.", null),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "Client closed request", "The request was aborted.", null),
            _ when DatabaseUnavailable(exception) is { } reason => (503, "Database unavailable",
                $"The service lost its database connection ({reason}); nothing was changed. Retry in a few seconds.", null),
            _ => (500, "Internal server error", "An unexpected error occurred; see the server log.", (IDictionary<string, string[]>?)null),
        };
        if (status == 503) logger.LogWarning("{Method} {Path}: 503, the database connection failed ({Reason})", context.Request.Method, context.Request.Path, exception.GetBaseException().Message);
        else if (status >= 500) logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        if (context.Response.HasStarted) return true;
        context.Response.StatusCode = status;
        if (status == 503) context.Response.Headers.RetryAfter = "5";
        var pd = errors is null
            ? new ProblemDetails { Status = status, Title = title, Detail = detail }
            : new ValidationProblemDetails(errors) { Status = status, Title = title, Detail = detail };
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = pd, Exception = exception });
    }

    // A connection that broke or was reset (a database restart ends pooled connections with 57P01 on their next use):
    // the request may simply be sent again. Npgsql marks these transient; EF Core may wrap them.
    private static string? DatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is Npgsql.NpgsqlException { IsTransient: true } n)
                return n is Npgsql.PostgresException p ? $"{p.SqlState}: {p.MessageText}" : n.Message;
        return null;
    }

    // PostgreSQL refuses U+0000 in text (22021) and in jsonb (22P05); the error may come wrapped by EF Core.
    private static bool UnstorableText(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is Npgsql.PostgresException { SqlState: "22021" or "22P05" })
                return true;
        return false;
    }
}
