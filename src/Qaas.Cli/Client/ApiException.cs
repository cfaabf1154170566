using System.Text.Json;

namespace Qaas.Cli.Client;

/// <summary>An HTTP error from the service, carrying its RFC 7807 problem details when present.</summary>
public sealed class ApiException(int status, string title, string? detail, JsonElement? problem)
    : Exception(detail is null ? $"{status} {title}" : $"{status} {title}: {detail}")
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    public JsonElement? Problem { get; } = problem;
}
