using System.Buffers;
using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Qaas.Storage.Blobs;

/// <summary>
/// A blob being written. Rows stream into PostgreSQL through one binary COPY inside one transaction (PostgreSQL inserts
/// while the caller produces the next bytes) and SHA-256 is computed on the way. The first bytes are held back until
/// the blob proves large (it then gets a table of its own, see <see cref="BlobTable"/>) or ends small (blob_chunks).
/// <see cref="CompleteAsync"/> gives the blob its content address; disposing an uncompleted writer rolls the
/// transaction back, so nothing half-written stays.
/// </summary>
public sealed class BlobWriter : IAsyncDisposable
{
    private readonly NpgsqlConnection _conn;
    private readonly NpgsqlTransaction _tx;
    private readonly long _blobId;
    private readonly int _rowSize;
    private readonly long _maxBytes;
    private readonly int _ownTableFrom;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _head; // bytes held back until the table is chosen
    private int _headLength;
    private BlobTable _table;
    private NpgsqlBinaryImporter? _rows; // null until the table is chosen
    private readonly byte[] _partial; // bytes of the next row not yet complete
    private int _partialLength;
    private int _seq;
    private bool _ended;
    private bool _copying;

    private BlobWriter(NpgsqlConnection conn, NpgsqlTransaction tx, long blobId, int rowSize, long maxBytes, int ownTableFrom)
    {
        (_conn, _tx, _blobId, _rowSize, _maxBytes, _ownTableFrom) = (conn, tx, blobId, rowSize, maxBytes, ownTableFrom);
        _partial = new byte[rowSize];
        _head = ArrayPool<byte>.Shared.Rent(ownTableFrom);
    }

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <param name="ownTableFrom">A blob longer than this many bytes gets a table of its own.</param>
    internal static async Task<BlobWriter> StartAsync(NpgsqlDataSource dataSource, int rowSize, int ownTableFrom, long maxBytes, CancellationToken ct)
    {
        var conn = await dataSource.OpenConnectionAsync(ct);
        NpgsqlTransaction? tx = null;
        try
        {
            tx = await conn.BeginTransactionAsync(ct);
            await using var insert = new NpgsqlCommand("INSERT INTO blobs (sha256, chunk_size) VALUES (NULL, @c) RETURNING id", conn, tx);
            insert.Parameters.AddWithValue("c", rowSize);
            var blobId = (long)(await insert.ExecuteScalarAsync(ct))!;
            return new BlobWriter(conn, tx, blobId, rowSize, maxBytes, ownTableFrom);
        }
        catch
        {
            if (tx is not null) await tx.DisposeAsync();
            await conn.DisposeAsync();
            throw;
        }
    }

    /// <summary>Appends bytes; throws <see cref="BlobTooLargeException"/> past the writer's limit.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_ended, this);
        Length += bytes.Length;
        if (Length > _maxBytes) throw new BlobTooLargeException(_maxBytes);
        _hash.AppendData(bytes.Span);

        if (_rows is null)
        {
            var take = Math.Min(bytes.Length, _ownTableFrom - _headLength);
            bytes.Span[..take].CopyTo(_head.AsSpan(_headLength));
            _headLength += take;
            bytes = bytes[take..];
            if (bytes.IsEmpty) return;
            await StartRowsAsync(ownTable: true, ct); // more than the threshold: a large blob
        }
        await AppendRowsAsync(bytes, ct);
    }

    /// <summary>Chooses the table, starts the COPY and sends the bytes held back so far.</summary>
    private async Task StartRowsAsync(bool ownTable, CancellationToken ct)
    {
        _table = ownTable ? await BlobTable.CreateOwnAsync(_conn, _tx, _blobId, ct) : new BlobTable(_blobId, Own: false);
        _rows = await _conn.BeginBinaryImportAsync(_table.CopyCommand, ct);
        _copying = true;
        await AppendRowsAsync(_head.AsMemory(0, _headLength), ct);
        ReturnHead();
    }

    private async Task AppendRowsAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (_partialLength > 0)
        {
            var take = Math.Min(bytes.Length, _rowSize - _partialLength);
            bytes.Span[..take].CopyTo(_partial.AsSpan(_partialLength));
            _partialLength += take;
            bytes = bytes[take..];
            if (_partialLength < _rowSize) return;
            await WriteRowAsync(_partial, ct);
            _partialLength = 0;
        }
        // Whole rows go straight from the caller's buffer; only a tail is copied.
        while (bytes.Length >= _rowSize)
        {
            await WriteRowAsync(bytes[.._rowSize], ct);
            bytes = bytes[_rowSize..];
        }
        bytes.Span.CopyTo(_partial);
        _partialLength = bytes.Length;
    }

    /// <summary>Appends everything <paramref name="source"/> still holds.</summary>
    public async Task CopyFromAsync(Stream source, CancellationToken ct = default)
    {
        var buffer = new byte[1 << 20];
        int n;
        while ((n = await source.ReadAsync(buffer, ct)) > 0)
            await WriteAsync(buffer.AsMemory(0, n), ct);
    }

    /// <summary>
    /// Commits the blob under its SHA-256. When those bytes are already stored, that copy is named instead and this one
    /// discarded; the stored copy's age restarts, so the garbage collector (which spares young blobs) cannot take it
    /// before the caller's reference to it commits.
    /// </summary>
    public async Task<BlobInfo> CompleteAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_ended, this);
        _ended = true;
        if (_rows is null) await StartRowsAsync(ownTable: false, ct);
        if (_partialLength > 0) await WriteRowAsync(_partial.AsMemory(0, _partialLength), ct);
        await _rows!.CompleteAsync(ct);
        _copying = false;
        await _rows.DisposeAsync();

        var info = new BlobInfo(Convert.ToHexStringLower(_hash.GetHashAndReset()), Length);
        if (!await TryNameAsync(info, ct))
        {
            // Waits for a collector deleting the stored copy; none left means this copy takes its place.
            await using var refresh = new NpgsqlCommand("UPDATE blobs SET created_at = now() WHERE sha256 = @h", _conn, _tx);
            refresh.Parameters.AddWithValue("h", info.Sha256);
            if (await refresh.ExecuteNonQueryAsync(ct) > 0)
                await DiscardAsync(ct);
            else if (!await TryNameAsync(info, ct))
                throw new IOException($"Blob {info.Sha256} was stored and collected concurrently while this copy was written; store it again.");
        }
        await _tx.CommitAsync(ct);
        return info;
    }

    /// <summary>Names this blob; false (the transaction intact) when a stored blob already has those bytes.</summary>
    private async Task<bool> TryNameAsync(BlobInfo info, CancellationToken ct)
    {
        await _tx.SaveAsync("naming", ct);
        await using var name = new NpgsqlCommand("UPDATE blobs SET sha256 = @h, size_bytes = @n WHERE id = @id", _conn, _tx);
        name.Parameters.AddWithValue("h", info.Sha256);
        name.Parameters.AddWithValue("n", info.SizeBytes);
        name.Parameters.AddWithValue("id", _blobId);
        try
        {
            await name.ExecuteNonQueryAsync(ct);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await _tx.RollbackAsync("naming", ct);
            return false;
        }
    }

    /// <summary>Removes this copy inside the transaction (its blob_chunks rows go by cascade).</summary>
    private async Task DiscardAsync(CancellationToken ct)
    {
        await using var delete = new NpgsqlCommand("DELETE FROM blobs WHERE id = @id", _conn, _tx);
        delete.Parameters.AddWithValue("id", _blobId);
        await delete.ExecuteNonQueryAsync(ct);
        await _table.DropAsync(_conn, _tx, ct);
    }

    private async Task WriteRowAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _rows!.StartRowAsync(ct);
        if (!_table.Own) await _rows.WriteAsync(_blobId, NpgsqlDbType.Bigint, ct);
        await _rows.WriteAsync(_seq++, NpgsqlDbType.Integer, ct);
        await _rows.WriteAsync(data, NpgsqlDbType.Bytea, ct);
    }

    public async ValueTask DisposeAsync()
    {
        _ended = true;
        try
        {
            if (_copying) await _rows!.DisposeAsync(); // cancels the COPY
            await _tx.DisposeAsync(); // rolls back unless committed
        }
        catch (NpgsqlException) { } // a broken connection: PostgreSQL aborts the open transaction itself
        catch (InvalidOperationException) { }
        finally
        {
            await _conn.DisposeAsync();
            _hash.Dispose();
            ReturnHead();
        }
    }

    private void ReturnHead()
    {
        if (_head is null) return;
        ArrayPool<byte>.Shared.Return(_head);
        _head = null;
    }
}
