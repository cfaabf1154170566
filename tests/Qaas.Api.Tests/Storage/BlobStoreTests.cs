using System.Security.Cryptography;
using Npgsql;
using Qaas.Api.Tests.Infrastructure;
using Qaas.Storage.Blobs;

namespace Qaas.Api.Tests.Storage;

public sealed class BlobStoreTests : IAsyncLifetime
{
    private NpgsqlDataSource _db = null!;
    private string _cs = "";
    private BlobStore _store = null!;

    public async Task InitializeAsync()
    {
        (_cs, _db) = await TestPostgres.CreateMigratedDatabaseAsync();
        _store = new BlobStore(_db) { ChunkSize = 1000 }; // small chunks: multi-chunk paths with small data
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static byte[] RandomBytes(int n) => RandomNumberGenerator.GetBytes(n);

    [Fact]
    public async Task Put_then_read_returns_the_same_bytes_addressed_by_sha256()
    {
        var data = RandomBytes(3500);
        var info = await _store.PutAsync(new MemoryStream(data));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), info.Sha256);
        Assert.Equal(3500, info.SizeBytes);
        await using var s = (await _store.OpenReadAsync(info.Sha256))!;
        var copy = new MemoryStream();
        await s.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
        Assert.Equal(4, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id WHERE b.sha256 = '" + info.Sha256 + "'"));
    }

    [Fact]
    public async Task Same_bytes_twice_are_stored_once()
    {
        var data = RandomBytes(2500);
        var a = await _store.PutAsync(new MemoryStream(data));
        var b = await _store.PutAsync(new MemoryStream(data));
        Assert.Equal(a, b);
        Assert.Equal(1, await TestPostgres.ScalarAsync(_cs, $"SELECT count(*) FROM blobs WHERE sha256 = '{a.Sha256}'"));
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blobs WHERE sha256 IS NULL"));
    }

    [Fact]
    public async Task Reading_from_an_offset_starts_there()
    {
        var data = RandomBytes(2500);
        var info = await _store.PutAsync(new MemoryStream(data));
        await using var s = (await _store.OpenReadAsync(info.Sha256, 1999))!;
        var rest = new MemoryStream();
        await s.CopyToAsync(rest);
        Assert.Equal(data[1999..], rest.ToArray());
    }

    [Fact]
    public async Task Oversized_upload_is_refused_and_leaves_no_rows()
    {
        var before = await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blob_chunks");
        await Assert.ThrowsAsync<BlobTooLargeException>(() => _store.PutAsync(new MemoryStream(RandomBytes(5000)), maxBytes: 4000));
        Assert.Equal(before, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blob_chunks"));
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blobs WHERE sha256 IS NULL"));
    }

    [Fact]
    public async Task Upload_that_fails_midway_leaves_no_rows()
    {
        var before = await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blob_chunks");
        await Assert.ThrowsAsync<IOException>(() => _store.PutAsync(new FailingStream(RandomBytes(2500), failAfter: 2200)));
        Assert.Equal(before, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blob_chunks"));
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blobs WHERE sha256 IS NULL"));
    }

    [Fact]
    public async Task Corrupted_chunk_is_detected_on_read()
    {
        var info = await _store.PutAsync(new MemoryStream(RandomBytes(1500)));
        await using (var cmd = _db.CreateCommand($"UPDATE blob_chunks SET data = set_byte(data, 10, (get_byte(data, 10) + 1) % 256) WHERE seq = 1 AND blob_id = (SELECT id FROM blobs WHERE sha256 = '{info.Sha256}')"))
            await cmd.ExecuteNonQueryAsync();
        await using var s = (await _store.OpenReadAsync(info.Sha256))!;
        await Assert.ThrowsAsync<BlobCorruptedException>(() => s.CopyToAsync(Stream.Null));
    }

    [Fact]
    public async Task Writer_fed_uneven_pieces_stores_rows_of_the_chunk_size()
    {
        var data = RandomBytes(4321);
        BlobInfo info;
        await using (var writer = await _store.StartAsync())
        {
            // Pieces smaller than, equal to and larger than a row, so rows are cut across the caller's buffers.
            foreach (var (from, to) in new[] { (0, 7), (7, 1007), (1007, 3600), (3600, 3601), (3601, 4321) })
                await writer.WriteAsync(data.AsMemory(from, to - from));
            Assert.Equal(4321, writer.Length);
            info = await writer.CompleteAsync();
        }
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), info.Sha256);
        var sizes = await RowSizesAsync(info.Sha256);
        Assert.Equal([1000, 1000, 1000, 1000, 321], sizes);
        Assert.Equal(data, await ReadAllAsync(_store, info.Sha256));
    }

    [Fact]
    public async Task Writer_disposed_without_completing_leaves_no_rows()
    {
        var before = await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blob_chunks");
        await using (var writer = await _store.StartAsync())
            await writer.WriteAsync(RandomBytes(2500));
        Assert.Equal(before, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blob_chunks"));
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blobs WHERE sha256 IS NULL"));
    }

    [Fact]
    public async Task Page_sized_rows_read_back_across_windows_from_any_offset()
    {
        var store = new BlobStore(_db); // default row size: one heap page, stored inline
        var data = RandomBytes(3 * 1024 * 1024 + 123); // several 1 MiB read windows, a short last row
        var info = await store.PutAsync(new MemoryStream(data));
        Assert.Equal(data, await ReadAllAsync(store, info.Sha256));
        foreach (var offset in new long[] { 1, BlobStore.DefaultChunkSize, (1 << 20) + 5, data.Length - 1 })
        {
            await using var s = (await store.OpenReadAsync(info.Sha256, offset))!;
            var rest = new MemoryStream();
            await s.CopyToAsync(rest);
            Assert.Equal(data[(int)offset..], rest.ToArray());
        }
        // Inline storage: the rows did not go to the TOAST table.
        Assert.Equal(0L, await TestPostgres.ScalarAsync(_cs,
            "SELECT count(*) FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id WHERE b.sha256 = '" + info.Sha256 + "' AND pg_column_size(c.data) > " + BlobStore.DefaultChunkSize + " + 4"));
    }

    [Fact]
    public async Task Missing_row_is_detected_on_read()
    {
        var info = await _store.PutAsync(new MemoryStream(RandomBytes(3500)));
        await using (var cmd = _db.CreateCommand($"DELETE FROM blob_chunks WHERE seq = 2 AND blob_id = (SELECT id FROM blobs WHERE sha256 = '{info.Sha256}')"))
            await cmd.ExecuteNonQueryAsync();
        await using var s = (await _store.OpenReadAsync(info.Sha256))!;
        await Assert.ThrowsAsync<BlobCorruptedException>(() => s.CopyToAsync(Stream.Null));
    }

    private async Task<List<int>> RowSizesAsync(string sha)
    {
        await using var cmd = _db.CreateCommand($"SELECT length(c.data) FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id WHERE b.sha256 = '{sha}' ORDER BY c.seq");
        await using var r = await cmd.ExecuteReaderAsync();
        var sizes = new List<int>();
        while (await r.ReadAsync()) sizes.Add(r.GetInt32(0));
        return sizes;
    }

    private static async Task<byte[]> ReadAllAsync(BlobStore store, string sha)
    {
        await using var s = (await store.OpenReadAsync(sha))!;
        var copy = new MemoryStream();
        await s.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Garbage_collection_removes_only_unreferenced_blobs()
    {
        var orphan = await _store.PutAsync(new MemoryStream(RandomBytes(100)));
        Assert.True(await _store.CollectGarbageAsync(TimeSpan.Zero) >= 1);
        Assert.Null(await _store.GetSizeAsync(orphan.Sha256));
        Assert.Equal(0, await TestPostgres.ScalarAsync(_cs, "SELECT count(*) FROM blob_chunks"));
    }

    /// <summary>A request body whose client vanishes part-way.</summary>
    private sealed class FailingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (Position >= failAfter) throw new IOException("connection reset");
            return await base.ReadAsync(buffer[..(int)Math.Min(buffer.Length, failAfter - Position)], ct);
        }
    }
}
