namespace Qaas.Api.Problems;

/// <summary>Thrown by endpoints to answer with an RFC 7807 problem (status, precise detail, per-field errors).</summary>
public sealed class ApiProblemException(int status, string detail, IDictionary<string, string[]>? errors = null, string? title = null)
    : Exception(detail)
{
    public int Status { get; } = status;
    public string Detail { get; } = detail;
    public string? Title { get; } = title;
    public IDictionary<string, string[]>? Errors { get; } = errors;

    public static ApiProblemException NotFound(string what, Guid id) => new(404, $"{what} {id} was not found.");
    public static ApiProblemException Field(string field, string message) =>
        new(400, $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] }, "Validation failed");
}
