using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Qaas.Api.Observability;

/// <summary>Counts HTTP requests by method, route template and status (route templates keep the label set small).</summary>
public sealed class RequestCounter
{
    // One boxed counter per label set, bumped with Interlocked: AddOrUpdate would take a bucket lock on every request.
    private readonly ConcurrentDictionary<(string Method, string Route, int Status), StrongBox<long>> _counts = new();

    public void Add(string method, string route, int status) =>
        Interlocked.Increment(ref _counts.GetOrAdd((method, route, status), static _ => new StrongBox<long>()).Value);

    public IReadOnlyList<KeyValuePair<(string Method, string Route, int Status), long>> Snapshot() =>
        _counts.Select(kv => KeyValuePair.Create(kv.Key, Interlocked.Read(ref kv.Value.Value))).ToArray();
}
