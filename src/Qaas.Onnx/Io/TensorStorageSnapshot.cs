using Google.Protobuf;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Io;

/// <summary>
/// The storage fields of a TensorProto (raw_data, typed fields, external_data, data_location), saved so a writer
/// can restore a tensor it rewrote temporarily. raw_data is shared, not copied (ByteString is immutable).
/// </summary>
internal sealed class TensorStorageSnapshot
{
    private readonly TensorProto _tensor;
    private readonly ByteString? _raw;
    private readonly TensorProto.Types.DataLocation? _location;
    private readonly StringStringEntryProto[] _external;
    private readonly float[] _floats;
    private readonly int[] _int32s;
    private readonly long[] _int64s;
    private readonly double[] _doubles;
    private readonly ulong[] _uint64s;

    public TensorStorageSnapshot(TensorProto t)
    {
        _tensor = t;
        _raw = t.HasRawData ? t.RawData : null;
        _location = t.HasDataLocation ? t.DataLocation : null;
        _external = t.ExternalData.Select(e => e.Clone()).ToArray();
        _floats = t.FloatData.ToArray();
        _int32s = t.Int32Data.ToArray();
        _int64s = t.Int64Data.ToArray();
        _doubles = t.DoubleData.ToArray();
        _uint64s = t.Uint64Data.ToArray();
    }

    /// <summary>Empties every storage field (before the writer puts its own there).</summary>
    public static void ClearStorage(TensorProto t)
    {
        t.ClearRawData();
        t.ClearDataLocation();
        t.ExternalData.Clear();
        t.FloatData.Clear();
        t.Int32Data.Clear();
        t.Int64Data.Clear();
        t.DoubleData.Clear();
        t.Uint64Data.Clear();
    }

    public void Restore()
    {
        var t = _tensor;
        ClearStorage(t);
        if (_raw is not null) t.RawData = _raw;
        if (_location is { } l) t.DataLocation = l;
        t.ExternalData.AddRange(_external);
        t.FloatData.AddRange(_floats);
        t.Int32Data.AddRange(_int32s);
        t.Int64Data.AddRange(_int64s);
        t.DoubleData.AddRange(_doubles);
        t.Uint64Data.AddRange(_uint64s);
    }
}
