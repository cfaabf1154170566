using System.IO.Compression;
using DataType = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Datasets;

/// <summary>
/// A NumPy .npz archive: one array per model input (first axis = samples) and an optional 'labels' array.
/// Samples stream out of the archive's entries one at a time.
/// </summary>
public sealed class NpzDataset : ICalibrationDataset
{
    public const string LabelsArray = "labels";
    readonly ZipArchive _zip;
    readonly Dictionary<string, (ZipArchiveEntry Entry, NpyHeader Header, DataType Type)> _arrays = new(StringComparer.Ordinal);

    NpzDataset(ZipArchive zip) => _zip = zip;

    public DatasetDescription Description { get; private set; } = null!;

    public static NpzDataset Open(string path)
    {
        var dataset = new NpzDataset(DatasetFiles.OpenZip(path));
        try { dataset.ReadHeaders(); }
        catch { dataset.Dispose(); throw; }
        return dataset;
    }

    void ReadHeaders()
    {
        foreach (var entry in _zip.Entries)
        {
            if (entry.FullName.EndsWith('/')) continue;
            if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                throw new DatasetFormatException($"entry '{entry.FullName}' is not a .npy array");
            var name = entry.FullName[..^4];
            NpyHeader header;
            try { using var s = entry.Open(); header = NpyHeader.Read(s, name); }
            catch (InvalidDataException e) { throw new DatasetFormatException($"array '{name}': corrupt archive entry: {e.Message}"); }
            if (header.FortranOrder) throw new DatasetFormatException($"array '{name}': Fortran-order arrays are not supported; save with C order");
            if (header.Shape.Length == 0) throw new DatasetFormatException($"array '{name}': a 0-d array has no sample axis");
            var type = ElementTypes.FromNpyDescr(header.Descr, name);
            var expected = ElementTypes.ByteCount(header.Shape, type)
                ?? throw new DatasetFormatException($"array '{name}': its shape [{string.Join(",", header.Shape)}] holds more bytes than a file can");
            if (entry.Length - header.DataOffset != expected)
                throw new DatasetFormatException($"array '{name}': holds {entry.Length - header.DataOffset} data bytes, its header says {expected}");
            _arrays[name] = (entry, header, type);
        }
        if (_arrays.Count == 0 || _arrays.Keys.All(k => k == LabelsArray))
            throw new DatasetFormatException("the archive holds no input arrays");

        var samples = -1L;
        string? first = null;
        foreach (var (name, a) in _arrays)
        {
            if (samples < 0) { samples = a.Header.Shape[0]; first = name; }
            else if (a.Header.Shape[0] != samples)
                throw new DatasetFormatException($"array '{name}' has {a.Header.Shape[0]} samples but '{first}' has {samples}: all arrays must agree on the first axis");
        }
        // No samples would calibrate nothing and make every comparison vacuously perfect.
        if (samples == 0) throw new DatasetFormatException($"the arrays hold no samples: '{first}' has 0 along its first axis");
        if (samples > int.MaxValue) throw new DatasetFormatException("too many samples");
        if (_arrays.TryGetValue(LabelsArray, out var labels) && labels.Type is not (DataType.Int64 or DataType.Int32))
            throw new DatasetFormatException("array 'labels' must hold int32 or int64 class indices");

        Description = new DatasetDescription("npz", (int)samples,
            [.. _arrays.Where(a => a.Key != LabelsArray).Select(a => new DatasetArray(a.Key, a.Value.Header.Shape, ElementTypes.Name(a.Value.Type)))],
            _arrays.ContainsKey(LabelsArray));
    }

    public IEnumerable<IReadOnlyDictionary<string, SampleTensor>> ReadSamples()
    {
        var readers = new List<(string Name, Stream Stream, DataType Type, long[] Shape, int Bytes)>();
        try
        {
            foreach (var (name, a) in _arrays)
            {
                if (name == LabelsArray) continue;
                var s = a.Entry.Open();
                NpyHeader.Read(s, name);
                var sampleShape = a.Header.Shape[1..];
                var bytes = checked((int)(sampleShape.Aggregate(1L, (x, d) => x * d) * ElementTypes.SizeOf(a.Type)));
                readers.Add((name, s, a.Type, sampleShape, bytes));
            }
            for (var i = 0; i < Description.Samples; i++)
            {
                var sample = new Dictionary<string, SampleTensor>(readers.Count, StringComparer.Ordinal);
                foreach (var r in readers)
                {
                    var data = new byte[r.Bytes];
                    // The archive's directory passed the upload's checks; its entry data may still be short or corrupt.
                    try { r.Stream.ReadExactly(data); }
                    catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
                    {
                        throw new DatasetFormatException($"array '{r.Name}': sample {i} cannot be read ({e.Message}); the archive entry is shorter than its header says or corrupt");
                    }
                    sample[r.Name] = new SampleTensor(r.Type, r.Shape, data);
                }
                yield return sample;
            }
        }
        finally
        {
            foreach (var r in readers) r.Stream.Dispose();
        }
    }

    public long[]? ReadLabels()
    {
        if (!_arrays.TryGetValue(LabelsArray, out var a)) return null;
        using var s = a.Entry.Open();
        NpyHeader.Read(s, LabelsArray);
        var n = (int)a.Header.ElementCount;
        var labels = new long[n];
        Span<byte> buffer = stackalloc byte[8];
        var size = ElementTypes.SizeOf(a.Type);
        for (var i = 0; i < n; i++)
        {
            s.ReadExactly(buffer[..size]);
            labels[i] = size == 8 ? BitConverter.ToInt64(buffer) : BitConverter.ToInt32(buffer);
        }
        return labels;
    }

    public void Dispose() => _zip.Dispose();
}
