using Npgsql;

namespace Qaas.Storage.Blobs;

/// <summary>
/// Content-addressed blob store on PostgreSQL: bytes are split into rows of at most one heap page (stored inline
/// without compression, in blob_chunks or, for a large blob, a table of its own), written by <see cref="BlobWriter"/> through binary COPY in one transaction and named by
/// their SHA-256 at the end; identical bytes share one blob. Reads stream a window of rows at a time. Plain Npgsql:
/// no buffering of the whole blob.
/// </summary>
public sealed class BlobStore(NpgsqlDataSource dataSource)
{
    /// <summary>The largest bytea that still fits one 8 KiB heap page next to its row and page headers.</summary>
    public const int DefaultChunkSize = 8096;

    public int ChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>A blob longer than this gets a table of its own (<see cref="BlobTable"/>); its first bytes wait in memory until then.</summary>
    public int OwnTableFrom { get; init; } = 4 << 20;

    /// <summary>Starts a blob; write to it, then complete it (or dispose it to discard every byte).</summary>
    public Task<BlobWriter> StartAsync(long maxBytes = long.MaxValue, CancellationToken ct = default) =>
        BlobWriter.StartAsync(dataSource, ChunkSize, OwnTableFrom, maxBytes, ct);

    /// <summary>Stores the stream's bytes; throws <see cref="BlobTooLargeException"/> past <paramref name="maxBytes"/>.</summary>
    public async Task<BlobInfo> PutAsync(Stream content, long maxBytes = long.MaxValue, CancellationToken ct = default)
    {
        await using var writer = await StartAsync(maxBytes, ct);
        await writer.CopyFromAsync(content, ct);
        return await writer.CompleteAsync(ct);
    }

    /// <summary>Stores a byte array (small payloads such as reports).</summary>
    public Task<BlobInfo> PutAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default) =>
        PutAsync(new MemoryStream(bytes.ToArray(), writable: false), long.MaxValue, ct);

    /// <summary>The blob's size, or null when no such blob exists.</summary>
    public async Task<long?> GetSizeAsync(string sha256, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT size_bytes FROM blobs WHERE sha256 = @h");
        cmd.Parameters.AddWithValue("h", sha256);
        return await cmd.ExecuteScalarAsync(ct) is long n ? n : null;
    }

    /// <summary>Opens the blob for reading from <paramref name="offset"/>; null when missing. A read from offset 0 to the end verifies the hash.</summary>
    public async Task<Stream?> OpenReadAsync(string sha256, long offset = 0, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, size_bytes, chunk_size, own_table FROM blobs WHERE sha256 = @h");
        cmd.Parameters.AddWithValue("h", sha256);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var stream = new BlobReadStream(dataSource, new BlobTable(reader.GetInt64(0), reader.GetBoolean(3)), sha256, reader.GetInt64(1), reader.GetInt32(2));
        if (offset > 0) stream.Seek(offset, SeekOrigin.Begin);
        return stream;
    }

    /// <summary>Deletes blobs no model, model file, dataset or artifact refers to (older than <paramref name="olderThan"/>, so in-flight uploads survive).</summary>
    public async Task<int> CollectGarbageAsync(TimeSpan olderThan, CancellationToken ct = default)
    {
        const int Batch = 32; // each dropped own table holds a lock until commit
        var total = 0;
        while (true)
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var gone = new List<BlobTable>();
            await using (var cmd = new NpgsqlCommand("""
                DELETE FROM blobs WHERE id IN (
                    SELECT b.id FROM blobs b
                    WHERE b.created_at < now() - @age
                      AND (b.sha256 IS NULL
                           OR (NOT EXISTS (SELECT 1 FROM models m WHERE m.blob_sha256 = b.sha256)
                               AND NOT EXISTS (SELECT 1 FROM model_files f WHERE f.blob_sha256 = b.sha256)
                               AND NOT EXISTS (SELECT 1 FROM datasets d WHERE d.blob_sha256 = b.sha256)
                               AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.blob_sha256 = b.sha256)))
                    LIMIT @batch FOR UPDATE SKIP LOCKED)
                RETURNING id, own_table
                """, conn, tx))
            {
                cmd.Parameters.AddWithValue("age", olderThan);
                cmd.Parameters.AddWithValue("batch", Batch);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) gone.Add(new BlobTable(reader.GetInt64(0), reader.GetBoolean(1)));
            }
            foreach (var table in gone) await table.DropAsync(conn, tx, ct);
            await tx.CommitAsync(ct);
            total += gone.Count;
            if (gone.Count < Batch) return total;
        }
    }
}
