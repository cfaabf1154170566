using System.Collections.Concurrent;

namespace Qaas.Api.Observability;

/// <summary>Counts HTTP requests by method, route template and status (route templates keep the label set small).</summary>
public sealed class RequestCounter
{
    private readonly ConcurrentDictionary<(string Method, string Route, int Status), long> _counts = new();

    public void Add(string method, string route, int status) => _counts.AddOrUpdate((method, route, status), 1, (_, n) => n + 1);

    public IReadOnlyList<KeyValuePair<(string Method, string Route, int Status), long>> Snapshot() => _counts.ToArray();
}
