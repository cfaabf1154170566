using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Qaas.Storage.Blobs;

/// <summary>
/// Content-addressed blob store on PostgreSQL: bytes are split into fixed-size bytea chunks (blob_chunks).
/// An upload streams into a staging blob row (sha256 NULL) inside one transaction while SHA-256 is computed
/// incrementally; at the end the row takes its address, or, if those bytes are already stored, the whole
/// transaction rolls back. A failed or aborted upload therefore leaves no rows. Plain Npgsql: no buffering of the whole blob.
/// </summary>
public sealed class BlobStore(NpgsqlDataSource dataSource)
{
    public const int DefaultChunkSize = 1 << 20;

    public int ChunkSize { get; init; } = DefaultChunkSize;

    /// <summary>Stores the stream's bytes; throws <see cref="BlobTooLargeException"/> past <paramref name="maxBytes"/>.</summary>
    public async Task<BlobInfo> PutAsync(Stream content, long maxBytes = long.MaxValue, CancellationToken ct = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        long blobId;
        await using (var insert = new NpgsqlCommand("INSERT INTO blobs (sha256, chunk_size) VALUES (NULL, @c) RETURNING id", conn, tx))
        {
            insert.Parameters.AddWithValue("c", ChunkSize);
            blobId = (long)(await insert.ExecuteScalarAsync(ct))!;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var chunkCmd = new NpgsqlCommand("INSERT INTO blob_chunks (blob_id, seq, data) VALUES (@b, @s, @d)", conn, tx);
        var pSeq = new NpgsqlParameter<int>("s", 0);
        var pData = new NpgsqlParameter("d", NpgsqlDbType.Bytea);
        chunkCmd.Parameters.Add(new NpgsqlParameter<long>("b", blobId));
        chunkCmd.Parameters.Add(pSeq);
        chunkCmd.Parameters.Add(pData);
        await chunkCmd.PrepareAsync(ct);

        var buffer = new byte[ChunkSize];
        long total = 0;
        var seq = 0;
        while (true)
        {
            var filled = await FillAsync(content, buffer, ct);
            if (filled == 0) break;
            total += filled;
            if (total > maxBytes) throw new BlobTooLargeException(maxBytes); // disposing the transaction rolls back
            hash.AppendData(buffer, 0, filled);
            pSeq.TypedValue = seq++;
            pData.Value = new ReadOnlyMemory<byte>(buffer, 0, filled);
            await chunkCmd.ExecuteNonQueryAsync(ct);
            if (filled < buffer.Length) break;
        }

        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        await using (var name = new NpgsqlCommand("UPDATE blobs SET sha256 = @h, size_bytes = @n WHERE id = @id", conn, tx))
        {
            name.Parameters.AddWithValue("h", sha);
            name.Parameters.AddWithValue("n", total);
            name.Parameters.AddWithValue("id", blobId);
            try
            {
                await name.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Same bytes already stored (possibly by a concurrent upload that just committed): keep that one.
                await tx.RollbackAsync(CancellationToken.None);
                return new BlobInfo(sha, total);
            }
        }
        await tx.CommitAsync(ct);
        return new BlobInfo(sha, total);
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

    private static async Task<int> FillAsync(Stream s, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await s.ReadAsync(buffer.AsMemory(filled), ct);
            if (n == 0) break;
            filled += n;
        }
        return filled;
    }
}
