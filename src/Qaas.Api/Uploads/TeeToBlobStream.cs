using Qaas.Storage.Blobs;

namespace Qaas.Api.Uploads;

/// <summary>
/// A forward-only read view of a request body that writes every byte it hands out into a blob as well, so one parser
/// reading the body (payloads included, which it passes over by reading) drives the store too: each byte is copied out
/// of the socket once. Synchronous reads wait on the asynchronous body and store; run it on a thread of its own.
/// </summary>
internal sealed class TeeToBlobStream(Stream body, BlobWriter blob, CancellationToken ct) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = body.ReadAsync(buffer.AsMemory(offset, count), ct).AsTask().GetAwaiter().GetResult();
        if (n > 0) blob.WriteAsync(buffer.AsMemory(offset, n), ct).AsTask().GetAwaiter().GetResult();
        _position += n;
        return n;
    }

    /// <summary>Stores whatever the parser left unread (nothing, for a parser that reads to the end).</summary>
    public Task DrainAsync() => blob.CopyFromAsync(body, ct);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
