using Npgsql;

namespace Qaas.Storage.Blobs;

/// <summary>
/// Content-addressed blob store on PostgreSQL: bytes are split into rows of at most one heap page (blob_chunks, stored
/// inline without compression), written by <see cref="BlobWriter"/> through binary COPY in one transaction and named by
/// their SHA-256 at the end; identical bytes share one blob. Reads stream a window of rows at a time. Plain Npgsql:
/// no buffering of the whole blob.
/// </summary>
public sealed class BlobStore(NpgsqlDataSource dataSource)
{
    /// <summary>The largest bytea that still fits one 8 KiB heap page next to its row and page headers.</summary>
    public const int DefaultChunkSize = 8096;

    public int ChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>Starts a blob; write to it, then complete it (or dispose it to discard every byte).</summary>
    public Task<BlobWriter> StartAsync(long maxBytes = long.MaxValue, CancellationToken ct = default) =>
        BlobWriter.StartAsync(dataSource, ChunkSize, maxBytes, ct);

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
        await using var cmd = dataSource.CreateCommand("SELECT id, size_bytes, chunk_size FROM blobs WHERE sha256 = @h");
        cmd.Parameters.AddWithValue("h", sha256);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var stream = new BlobReadStream(dataSource, reader.GetInt64(0), sha256, reader.GetInt64(1), reader.GetInt32(2));
        if (offset > 0) stream.Seek(offset, SeekOrigin.Begin);
        return stream;
    }

    /// <summary>Deletes blobs no model, model file, dataset or artifact refers to (older than <paramref name="olderThan"/>, so in-flight uploads survive).</summary>
    public async Task<int> CollectGarbageAsync(TimeSpan olderThan, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            DELETE FROM blobs b
            WHERE b.created_at < now() - @age
              AND (b.sha256 IS NULL
                   OR (NOT EXISTS (SELECT 1 FROM models m WHERE m.blob_sha256 = b.sha256)
                       AND NOT EXISTS (SELECT 1 FROM model_files f WHERE f.blob_sha256 = b.sha256)
                       AND NOT EXISTS (SELECT 1 FROM datasets d WHERE d.blob_sha256 = b.sha256)
                       AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.blob_sha256 = b.sha256)))
            """);
        cmd.Parameters.AddWithValue("age", olderThan);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
