using System.Security.Cryptography;
using Npgsql;

namespace Qaas.Storage.Blobs;

/// <summary>Reads a blob chunk by chunk (one query per chunk, so memory stays at one chunk); verifies SHA-256 after a full sequential read.</summary>
internal sealed class BlobReadStream(NpgsqlDataSource dataSource, long blobId, string sha256, long length, int chunkSize) : Stream
{
    private byte[]? _chunk;
    private int _chunkSeq = -1;
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
        var seq = (int)(_position / chunkSize);
        if (seq != _chunkSeq) await LoadChunkAsync(seq, ct);
        var within = (int)(_position - (long)seq * chunkSize);
        var n = Math.Min(destination.Length, _chunk!.Length - within);
        _chunk.AsSpan(within, n).CopyTo(destination.Span);
        Track(_chunk.AsSpan(within, n));
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

    private async Task LoadChunkAsync(int seq, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT data FROM blob_chunks WHERE blob_id = @b AND seq = @s");
        cmd.Parameters.AddWithValue("b", blobId);
        cmd.Parameters.AddWithValue("s", seq);
        _chunk = await cmd.ExecuteScalarAsync(ct) as byte[] ?? throw new BlobCorruptedException(sha256);
        _chunkSeq = seq;
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
