using System.Buffers.Binary;
using System.Text;

namespace Qaas.Quantization.Datasets;

/// <summary>The header of a NumPy .npy array (format versions 1-3): dtype, memory order and shape.</summary>
public sealed record NpyHeader(string Descr, bool FortranOrder, long[] Shape, int DataOffset)
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    const int MaxHeaderBytes = 1 << 20;

    public long ElementCount => Shape.Aggregate(1L, (a, d) => checked(a * d));

    /// <summary>Reads the header from the start of <paramref name="stream"/>, leaving it positioned at the data.</summary>
    public static NpyHeader Read(Stream stream, string arrayName)
    {
        Span<byte> prefix = stackalloc byte[10];
        ReadExactly(stream, prefix, arrayName);
        if (!prefix[..6].SequenceEqual(Magic)) throw Bad(arrayName, "not a .npy array (bad magic)");
        var major = prefix[6];
        int headerLength, offset;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
            offset = 10;
        }
        else if (major is 2 or 3)
        {
            Span<byte> rest = stackalloc byte[2];
            ReadExactly(stream, rest, arrayName);
            headerLength = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian([.. prefix[8..], .. rest]), int.MaxValue);
            offset = 12;
        }
        else throw Bad(arrayName, $".npy format version {major} is not supported");
        if (headerLength > MaxHeaderBytes) throw Bad(arrayName, "header is implausibly large");

        var header = new byte[headerLength];
        ReadExactly(stream, header, arrayName);
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        return Parse(text, arrayName, offset + headerLength);
    }

    // The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
    static NpyHeader Parse(string text, string arrayName, int dataOffset)
    {
        var descr = StringValue(text, "descr", arrayName);
        var fortranText = RawValue(text, "fortran_order", arrayName);
        var fortran = fortranText.StartsWith("True", StringComparison.Ordinal);
        var shapeText = RawValue(text, "shape", arrayName);
        var open = shapeText.IndexOf('(');
        var close = shapeText.IndexOf(')');
        if (open != 0 || close < 0) throw Bad(arrayName, "malformed shape in header");
        var dims = shapeText[1..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new long[dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            var d = dims[i].TrimEnd('L');
            if (!long.TryParse(d, out shape[i]) || shape[i] < 0) throw Bad(arrayName, $"malformed dimension '{dims[i]}'");
        }
        return new NpyHeader(descr, fortran, shape, dataOffset);
    }

    static string RawValue(string text, string key, string arrayName)
    {
        var k = text.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (k < 0) throw Bad(arrayName, $"header has no '{key}'");
        var colon = text.IndexOf(':', k);
        if (colon < 0) throw Bad(arrayName, $"header has no value for '{key}'");
        return text[(colon + 1)..].TrimStart();
    }

    static string StringValue(string text, string key, string arrayName)
    {
        var v = RawValue(text, key, arrayName);
        if (v.Length < 2 || v[0] != '\'') throw Bad(arrayName, $"'{key}' is not a string (structured dtypes are not supported)");
        var end = v.IndexOf('\'', 1);
        if (end < 0) throw Bad(arrayName, $"unterminated '{key}'");
        return v[1..end];
    }

    static void ReadExactly(Stream s, Span<byte> buffer, string arrayName)
    {
        try { s.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw Bad(arrayName, "truncated"); }
    }

    static DatasetFormatException Bad(string arrayName, string message) => new($"array '{arrayName}': {message}");
}
