using System.Security.Cryptography;
using Npgsql;
using Qaas.Api.Tests.Infrastructure;
using Qaas.Storage.Blobs;

namespace Qaas.Api.Tests.Storage;

/// <summary>Blobs above the store's threshold live in a table of their own; these check that path end to end.</summary>
public sealed class OwnBlobTableTests : IAsyncLifetime
{
    private const int Threshold = 2500;
    private NpgsqlDataSource _db = null!;
    private string _cs = "";
    private BlobStore _store = null!;

    public async Task InitializeAsync()
    {
        (_cs, _db) = await TestPostgres.CreateMigratedDatabaseAsync();
        _store = new BlobStore(_db) { ChunkSize = 1000, OwnTableFrom = Threshold };
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Task<long> OwnTablesAsync() =>
        TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM pg_tables WHERE schemaname = 'blob_data' AND tablename <> 'template'");

    private Task<long> SharedRowsAsync(string sha) =>
        TestPostgres.ScalarAsync(_cs, $"SELECT count(*) FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id WHERE b.sha256 = '{sha}'");

    private async Task<string> TableOfAsync(string sha) =>
        "blob_data.b" + await TestPostgres.ScalarAsync(_cs, $"SELECT id FROM blobs WHERE sha256 = '{sha}' AND own_table");

    private static async Task<byte[]> ReadAsync(BlobStore store, string sha, long offset = 0)
    {
        await using var s = (await store.OpenReadAsync(sha, offset))!;
        var copy = new MemoryStream();
        await s.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Theory]
    [InlineData(Threshold, false)]
    [InlineData(Threshold + 1, true)]
    public async Task A_blob_longer_than_the_threshold_gets_its_own_table(int length, bool own)
    {
        var data = RandomNumberGenerator.GetBytes(length);
        var tablesBefore = await OwnTablesAsync();
        BlobInfo info;
        await using (var writer = await _store.StartAsync())
        {
            // Pieces that end exactly at the threshold, then cross it.
            foreach (var (from, to) in new[] { (0, 999), (999, Threshold), (Threshold, length) })
                await writer.WriteAsync(data.AsMemory(from, to - from));
            info = await writer.CompleteAsync();
        }
        Assert.Equal(data, await ReadAsync(_store, info.Sha256));
        Assert.Equal(data[1234..], await ReadAsync(_store, info.Sha256, 1234));
        Assert.Equal(own ? 0 : 3, await SharedRowsAsync(info.Sha256));
        Assert.Equal(tablesBefore + (own ? 1 : 0), await OwnTablesAsync());
        if (!own) return;
        var table = await TableOfAsync(info.Sha256);
        Assert.Equal(3, await TestPostgres.ScalarAsync(_cs, $"SELECT count(*) FROM {table}"));
        // Inline rows, no TOAST table; COPY FREEZE loaded them frozen (no hint-bit rewrite on first read).
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, $"SELECT count(*) FROM pg_class WHERE oid = '{table}'::regclass AND reltoastrelid <> 0"));
        await TestPostgres.ScalarAsync(_cs, "CREATE EXTENSION IF NOT EXISTS pg_visibility; SELECT 0");
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, $"SELECT count(*) FROM pg_visibility_map('{table}') WHERE NOT all_frozen"));
        Assert.Equal(1, await TestPostgres.ScalarAsync(_cs, $"SELECT count(*) FROM pg_visibility_map('{table}')"));
    }

    [Fact]
    public async Task A_large_blob_not_completed_leaves_no_table_no_row_and_no_open_transaction()
    {
        var tablesBefore = await OwnTablesAsync();
        await using (var writer = await _store.StartAsync())
            await writer.WriteAsync(RandomNumberGenerator.GetBytes(3 * Threshold));
        // Read in pieces of 1,000 bytes: the own table exists by the time the limit is passed.
        await Assert.ThrowsAsync<BlobTooLargeException>(() =>
            _store.PutAsync(new PiecewiseStream(RandomNumberGenerator.GetBytes(3 * Threshold), 1000), maxBytes: 2 * Threshold));
        Assert.Equal(tablesBefore, await OwnTablesAsync());
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blobs WHERE sha256 IS NULL"));
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"));
    }

    [Fact]
    public async Task Garbage_collection_takes_many_blobs_of_both_kinds_in_batches()
    {
        // More than one batch (32), own tables and blob_chunks rows mixed.
        for (int i = 0; i < 40; i++)
            await _store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(i % 2 == 0 ? 2 * Threshold : 100)));
        Assert.True(await _store.CollectGarbageAsync(TimeSpan.Zero) >= 40);
        Assert.Equal(0, await OwnTablesAsync());
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blobs"));
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blob_chunks"));
    }

    /// <summary>Hands out at most <paramref name="piece"/> bytes per read, as a network body does.</summary>
    private sealed class PiecewiseStream(byte[] data, int piece) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, piece)], ct);
    }

    [Fact]
    public async Task The_same_large_bytes_twice_keep_one_table()
    {
        var data = RandomNumberGenerator.GetBytes(2 * Threshold);
        var tablesBefore = await OwnTablesAsync();
        var a = await _store.PutAsync(new MemoryStream(data));
        var b = await _store.PutAsync(new MemoryStream(data));
        Assert.Equal(a, b);
        Assert.Equal(tablesBefore + 1, await OwnTablesAsync());
        Assert.Equal(data, await ReadAsync(_store, a.Sha256));
    }

    [Theory]
    [InlineData(100)] // blob_chunks
    [InlineData(2 * Threshold)] // own table
    public async Task Storing_bytes_again_restarts_the_stored_copys_age_so_the_collector_spares_it(int length)
    {
        // The stored copy is unreferenced and older than the collector's grace period: a caller that is about to
        // refer to it again (a new model of the same bytes) must not lose it to the collector meanwhile.
        var data = RandomNumberGenerator.GetBytes(length);
        var first = await _store.PutAsync(new MemoryStream(data));
        await TestPostgres.ScalarAsync(_cs, $"WITH u AS (UPDATE blobs SET created_at = now() - interval '2 hours' WHERE sha256 = '{first.Sha256}' RETURNING 1) SELECT count(*) FROM u");
        var (tables, blobs) = (await OwnTablesAsync(), await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blobs"));
        Assert.Equal(first, await _store.PutAsync(new MemoryStream(data)));
        Assert.Equal(tables, await OwnTablesAsync()); // the second copy was discarded
        Assert.Equal(blobs, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blobs"));
        await _store.CollectGarbageAsync(TimeSpan.FromHours(1));
        Assert.Equal(length, await _store.GetSizeAsync(first.Sha256));
        Assert.Equal(data, await ReadAsync(_store, first.Sha256));
    }

    [Fact]
    public async Task Garbage_collection_drops_the_table_of_an_unreferenced_blob()
    {
        var info = await _store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(2 * Threshold)));
        var table = await TableOfAsync(info.Sha256);
        Assert.True(await _store.CollectGarbageAsync(TimeSpan.Zero) >= 1);
        Assert.Null(await _store.GetSizeAsync(info.Sha256));
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, $"SELECT count(*) FROM pg_tables WHERE schemaname || '.' || tablename = '{table}'"));
    }

    [Fact]
    public async Task A_damaged_or_vanished_table_is_detected_on_read()
    {
        var damaged = await _store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(2 * Threshold)));
        await using (var cmd = _db.CreateCommand($"UPDATE {await TableOfAsync(damaged.Sha256)} SET data = set_byte(data, 3, (get_byte(data, 3) + 1) % 256) WHERE seq = 4"))
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        await Assert.ThrowsAsync<BlobCorruptedException>(() => ReadAsync(_store, damaged.Sha256));

        var vanished = await _store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(2 * Threshold)));
        await using var s = (await _store.OpenReadAsync(vanished.Sha256))!;
        await using (var cmd = _db.CreateCommand($"DROP TABLE {await TableOfAsync(vanished.Sha256)}"))
            await cmd.ExecuteNonQueryAsync();
        await Assert.ThrowsAsync<BlobCorruptedException>(() => s.CopyToAsync(Stream.Null));
    }
}
