namespace Qaas.Onnx.Io;

/// <summary>
/// Protobuf wire-format reading over a stream through one fixed buffer: varints, byte copies, and skips that seek
/// (or read and discard) so a payload of any size is passed over without being held. Tracks the absolute position.
/// </summary>
internal sealed class WireInput
{
    private const int BufferSize = 1 << 16;

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[BufferSize];
    private long _bufferStart; // stream offset of _buffer[0]
    private int _pos;
    private int _count;

    public WireInput(Stream stream)
    {
        _stream = stream;
        _bufferStart = stream.CanSeek ? stream.Position : 0;
    }

    public long Position => _bufferStart + _pos;

    /// <summary>True when the stream has no more bytes (only legal between fields of the outermost message).</summary>
    public bool AtEnd => _pos == _count && !Fill();

    public byte ReadByte()
    {
        if (_pos == _count && !Fill()) throw Truncated();
        return _buffer[_pos++];
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Error("malformed varint");
    }

    /// <summary>Copies the next <paramref name="count"/> bytes to <paramref name="output"/>.</summary>
    public void CopyTo(Stream output, long count)
    {
        while (count > 0)
        {
            if (_pos == _count && !Fill()) throw Truncated();
            var n = (int)Math.Min(count, _count - _pos);
            output.Write(_buffer, _pos, n);
            _pos += n;
            count -= n;
        }
    }

    /// <summary>Passes over the next <paramref name="count"/> bytes; fails as truncated if the stream ends first.</summary>
    public void Skip(long count)
    {
        var inBuffer = _count - _pos;
        if (count <= inBuffer)
        {
            _pos += (int)count;
            return;
        }
        count -= inBuffer;
        _bufferStart += _count;
        _pos = _count = 0;
        if (_stream.CanSeek)
        {
            if (_bufferStart + count > _stream.Length) throw Truncated();
            _stream.Seek(count, SeekOrigin.Current);
            _bufferStart += count;
            return;
        }
        while (count > 0)
        {
            var n = _stream.Read(_buffer, 0, (int)Math.Min(count, _buffer.Length));
            if (n == 0) throw Truncated();
            _bufferStart += n;
            count -= n;
        }
    }

    public OnnxFormatException Truncated() => Error("input is truncated");

    /// <summary>Same wording as <see cref="OnnxModel.Parse"/> so callers see one kind of message for a broken file.</summary>
    public OnnxFormatException Error(string what) =>
        new($"not an ONNX model: protobuf parse failed at byte {Position}: {what}");

    private bool Fill()
    {
        _bufferStart += _count;
        _pos = 0;
        _count = _stream.Read(_buffer, 0, _buffer.Length);
        return _count > 0;
    }
}
