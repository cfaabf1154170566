using System.Globalization;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Io;

/// <summary>A tensor's external_data entries, parsed and checked against the file they point to.</summary>
/// <param name="Path">Resolved full path of the data file (inside the model's file set).</param>
/// <param name="Offset">Byte offset of the tensor in that file.</param>
/// <param name="Length">Byte length of the tensor.</param>
public sealed record ExternalDataReference(string Location, string Path, long Offset, long Length)
{
    public static bool IsExternal(TensorProto t) =>
        t.HasDataLocation && t.DataLocation == TensorProto.Types.DataLocation.External;

    /// <summary>Validates the entries of <paramref name="t"/> against <paramref name="files"/> without reading a data byte.</summary>
    public static ExternalDataReference Resolve(TensorProto t, ModelFileSet files)
    {
        var name = t.Name;
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var e in t.ExternalData)
        {
            switch (e.Key)
            {
                case "location": location = e.Value; break;
                case "offset": offset = ParseNumber(e.Value, "offset", name); break;
                case "length": length = ParseNumber(e.Value, "length", name); break;
                case "checksum": break;
                default: break; // ONNX allows other keys; they carry no meaning for reading.
            }
        }
        if (location is null)
            throw new OnnxFormatException($"tensor '{name}' is marked EXTERNAL but has no 'location' entry");
        if (t.HasRawData)
            throw new OnnxFormatException($"tensor '{name}' is marked EXTERNAL but also carries raw_data");

        var path = files.Resolve(location, name);
        var fileLength = new FileInfo(path).Length;
        var expected = TensorLayout.ByteSize(t);
        var len = length ?? expected ?? (fileLength - offset);
        if (expected is long need && len != need)
            throw new OnnxFormatException(
                $"external data of tensor '{name}' has length {len} but its shape and type need {need} bytes");
        if (offset > fileLength || len > fileLength - offset)
            throw new OnnxFormatException(
                $"external data of tensor '{name}' (offset {offset}, length {len}) lies beyond the end of '{location}' ({fileLength} bytes)");
        return new ExternalDataReference(location, path, offset, len);
    }

    private static long ParseNumber(string value, string key, string tensor)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            throw new OnnxFormatException($"external data '{key}' of tensor '{tensor}' is not a non-negative integer: '{value}'");
        return v;
    }
}
