using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace Qaas.Api.Auth;

/// <summary>
/// Key hash -> (key, tenant, role, revoked), kept in memory for a short TTL so that authenticating a request
/// normally costs no database round trip. Consistency: a key revoked or deleted through this node's DbContext is
/// dropped at once (<see cref="ApiKeyChangeInterceptor"/>); a key revoked on another node keeps working here for at
/// most the TTL (Qaas:Auth:KeyCacheSeconds, default 30; 0 turns the cache off). Unknown keys are not cached, so a key
/// created anywhere works immediately and random guesses cannot grow the cache.
/// </summary>
public sealed class ApiKeyCache(NpgsqlDataSource dataSource, IConfiguration config)
{
    public sealed record Entry(Guid KeyId, Guid TenantId, string Role, bool Revoked);

    private sealed record Cached(Entry Entry, long ExpiresAt);

    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, Cached> _entries = new(StringComparer.Ordinal);
    private readonly long _ttlTicks = (long)(TimeSpan.FromSeconds(config.GetValue("Qaas:Auth:KeyCacheSeconds", 30.0)).TotalSeconds * Stopwatch.Frequency);
    private long _generation; // bumped by every invalidation: a lookup that raced one does not store its result

    /// <summary>The key with this SHA-256, revoked or not; null when no such key exists.</summary>
    public async ValueTask<Entry?> FindAsync(byte[] keyHash, CancellationToken ct)
    {
        var id = Convert.ToBase64String(keyHash);
        var now = Stopwatch.GetTimestamp();
        if (_entries.TryGetValue(id, out var hit) && hit.ExpiresAt > now) return hit.Entry;

        var generation = Interlocked.Read(ref _generation);
        var entry = await LoadAsync(keyHash, ct);
        if (entry is null || _ttlTicks <= 0) { _entries.TryRemove(id, out _); return entry; }
        if (_entries.Count >= MaxEntries) _entries.Clear();
        _entries[id] = new Cached(entry, now + _ttlTicks);
        if (Interlocked.Read(ref _generation) != generation) _entries.TryRemove(id, out _);
        return entry;
    }

    /// <summary>Forgets every cached key (key changes are rare; dropping all is simplest and always correct).</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private async Task<Entry?> LoadAsync(byte[] keyHash, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT id, tenant_id, role, revoked_at IS NOT NULL FROM api_keys WHERE key_hash = $1", conn);
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = keyHash });
        await cmd.PrepareAsync(ct); // persistent per physical connection: later requests skip parse/plan
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new Entry(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetBoolean(3));
    }
}
