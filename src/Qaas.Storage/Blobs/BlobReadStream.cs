using System.Security.Cryptography;
using Npgsql;

namespace Qaas.Storage.Blobs;

/// <summary>
/// Reads a blob a window of about 1 MiB of rows per query (memory stays at one window); verifies SHA-256 after a full
/// sequential read.
/// </summary>
internal sealed class BlobReadStream(NpgsqlDataSource dataSource, BlobTable table, string sha256, long length, int chunkSize) : Stream
{
    private const int WindowBytes = 1 << 20;
    private readonly int _rowsPerWindow = Math.Max(1, WindowBytes / chunkSize);
    private byte[]? _window;
    private long _windowStart = -1; // byte offset of _window[0]
    private int _windowLength;
    private long _position;
    private IncrementalHash? _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _hashed; // bytes hashed so far; hashing stops once a read is not sequential from 0

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => Seek(value, SeekOrigin.Begin); }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        if (target < 0 || target > length) throw new ArgumentOutOfRangeException(nameof(offset));
        _position = target;
        return target;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        if (_position >= length || destination.Length == 0) return 0;
        if (_windowStart < 0 || _position < _windowStart || _position >= _windowStart + _windowLength)
            await LoadWindowAsync((int)(_position / chunkSize), ct);
        var within = (int)(_position - _windowStart);
        var n = Math.Min(destination.Length, _windowLength - within);
        _window.AsSpan(within, n).CopyTo(destination.Span);
        Track(_window.AsSpan(within, n));
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    private void Track(ReadOnlySpan<byte> bytes)
    {
        if (_hash is null) return;
        if (_position != _hashed) { _hash.Dispose(); _hash = null; return; }
        _hash.AppendData(bytes);
        _hashed += bytes.Length;
        if (_hashed == length)
        {
            var actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
            _hash.Dispose();
            _hash = null;
            if (actual != sha256) throw new BlobCorruptedException(sha256);
        }
    }

    private async Task LoadWindowAsync(int firstSeq, CancellationToken ct)
    {
        var start = (long)firstSeq * chunkSize;
        var expected = (int)Math.Min((long)_rowsPerWindow * chunkSize, length - start);
        _window ??= new byte[Math.Min((long)_rowsPerWindow * chunkSize, length)];
        await using var cmd = dataSource.CreateCommand(table.RangeQuery);
        cmd.Parameters.AddWithValue("s", firstSeq);
        cmd.Parameters.AddWithValue("n", _rowsPerWindow);
        NpgsqlDataReader reader;
        try { reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct); }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable) { throw new BlobCorruptedException(sha256); } // collected meanwhile
        await using var _ = reader;
        var filled = 0;
        while (await reader.ReadAsync(ct))
        {
            // Rows must follow each other and all but the last be full; anything else is a damaged blob.
            if (reader.GetInt32(0) != firstSeq + filled / chunkSize || filled % chunkSize != 0) throw new BlobCorruptedException(sha256);
            var size = (int)reader.GetBytes(1, 0, null, 0, 0);
            if (size > chunkSize || filled + size > expected) throw new BlobCorruptedException(sha256);
            reader.GetBytes(1, 0, _window, filled, size); // copies straight into the window: no array per row
            filled += size;
        }
        if (filled != expected) throw new BlobCorruptedException(sha256);
        _windowStart = start;
        _windowLength = filled;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash?.Dispose();
        base.Dispose(disposing);
    }
}
