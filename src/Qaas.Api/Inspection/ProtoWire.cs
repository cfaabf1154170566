namespace Qaas.Api.Inspection;

/// <summary>Minimal protobuf wire-format walker (varints and length-delimited fields), enough for a top-level look at a ModelProto.</summary>
internal ref struct ProtoWire(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public readonly bool AtEnd => _pos >= _data.Length;

    public bool Next(out int field, out int wireType)
    {
        field = 0; wireType = 0;
        if (_pos >= _data.Length) return false;
        var key = ReadVarint();
        field = (int)(key >> 3);
        wireType = (int)(key & 7);
        if (field == 0) throw new ModelFormatException("Not a protobuf message (field number 0).");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length) throw new ModelFormatException("Truncated protobuf varint.");
            var b = _data[_pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new ModelFormatException("Malformed protobuf varint.");
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        var len = ReadVarint();
        if (len > (ulong)(_data.Length - _pos)) throw new ModelFormatException("Truncated protobuf field.");
        var span = _data.Slice(_pos, (int)len);
        _pos += (int)len;
        return span;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: Advance(8); break;
            case 2: ReadBytes(); break;
            case 5: Advance(4); break;
            default: throw new ModelFormatException($"Unsupported protobuf wire type {wireType}.");
        }
    }

    private void Advance(int n)
    {
        if (_pos + n > _data.Length) throw new ModelFormatException("Truncated protobuf field.");
        _pos += n;
    }
}
