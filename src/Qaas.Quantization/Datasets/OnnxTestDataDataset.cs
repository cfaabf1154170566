using System.IO.Compression;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using DataType = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Datasets;

/// <summary>
/// A .zip of ONNX TensorProto files in the ONNX test-data layout: test_data_set_N/input_K.pb is input K of sample N.
/// A tensor is matched to a model input by its name when it has one, else by position K (array name "input_K").
/// </summary>
public sealed partial class OnnxTestDataDataset : ICalibrationDataset
{
    readonly ZipArchive _zip;
    // sample index -> input position -> entry
    readonly SortedDictionary<int, SortedDictionary<int, ZipArchiveEntry>> _sets = [];
    string[] _names = [];

    // ASCII digits only (\d also matches other scripts' digits), at most 9 of them so that they fit an int.
    [GeneratedRegex(@"(?:^|/)test_data_set_([0-9]{1,9})/input_([0-9]{1,9})\.pb$")]
    private static partial Regex InputEntry();

    OnnxTestDataDataset(ZipArchive zip) => _zip = zip;

    public DatasetDescription Description { get; private set; } = null!;

    public static bool LooksLike(ZipArchive zip) => zip.Entries.Any(e => InputEntry().IsMatch(e.FullName));

    public static OnnxTestDataDataset Open(string path)
    {
        var zip = DatasetFiles.OpenZip(path);
        var dataset = new OnnxTestDataDataset(zip);
        try { dataset.Index(); }
        catch { dataset.Dispose(); throw; }
        return dataset;
    }

    void Index()
    {
        foreach (var e in _zip.Entries)
        {
            if (SafeRelativePath.Normalize(e.FullName) is null)
                throw new DatasetFormatException($"entry '{e.FullName}' is not a plain relative name (rooted, '..' or control characters)");
            var m = InputEntry().Match(e.FullName);
            if (!m.Success) continue;
            var set = int.Parse(m.Groups[1].Value);
            var k = int.Parse(m.Groups[2].Value);
            if (!_sets.TryGetValue(set, out var inputs)) _sets[set] = inputs = [];
            inputs[k] = e;
        }
        if (_sets.Count == 0) throw new DatasetFormatException("the archive holds no test_data_set_N/input_K.pb files");

        var first = _sets.First();
        var positions = first.Value.Keys.ToArray();
        foreach (var (set, inputs) in _sets)
            if (!inputs.Keys.SequenceEqual(positions))
                throw new DatasetFormatException($"test_data_set_{set} has inputs {string.Join(",", inputs.Keys)} but test_data_set_{first.Key} has {string.Join(",", positions)}: every sample needs the same inputs");

        var arrays = new List<DatasetArray>();
        var names = new string[positions.Length];
        for (var i = 0; i < positions.Length; i++)
        {
            var (name, type, shape, _) = ReadTensor(first.Value[positions[i]], positions[i]);
            names[i] = name;
            arrays.Add(new DatasetArray(name, [_sets.Count, .. shape], ElementTypes.Name(type), positions[i]));
        }
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new DatasetFormatException($"input tensors share a name ({string.Join(", ", names)})");
        _names = names;
        Description = new DatasetDescription("onnx-test-data", _sets.Count, arrays, HasLabels: false);
        // Every sample is read once here, so that one whose tensors disagree with the first is refused at upload
        // rather than failing a job later; ReadSamples checks the same.
        foreach (var _ in ReadSamples())
        {
        }
    }

    static (string Name, DataType Type, long[] Shape, byte[] Data) ReadTensor(ZipArchiveEntry entry, int position)
    {
        try
        {
            using var s = entry.Open();
            var t = OnnxModel.ParseTensor(s);
            var type = (DataType)t.DataType;
            ElementTypes.SizeOf(type); // rejects types datasets cannot carry
            var name = string.IsNullOrEmpty(t.Name) ? $"input_{position}" : t.Name;
            long[] shape = [.. t.Dims];
            if (shape.Any(d => d < 0))
                throw new DatasetFormatException($"{entry.FullName}: shape [{string.Join(",", shape)}] has a negative dimension");
            var data = TensorBytes.ReadRaw(t);
            var expected = ElementTypes.ByteCount(shape, type);
            if (expected != data.Length)
                throw new DatasetFormatException($"{entry.FullName}: holds {data.Length} data bytes, its shape [{string.Join(",", shape)}] needs {(expected is { } b ? b.ToString() : "more than a file can hold")}");
            return (name, type, shape, data);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or OnnxFormatException or InvalidOperationException or NotSupportedException or InvalidDataException)
        {
            throw new DatasetFormatException($"{entry.FullName}: not a readable ONNX TensorProto ({e.Message})");
        }
    }

    public IEnumerable<IReadOnlyDictionary<string, SampleTensor>> ReadSamples()
    {
        foreach (var (set, inputs) in _sets)
        {
            var sample = new Dictionary<string, SampleTensor>(inputs.Count, StringComparer.Ordinal);
            var i = 0;
            foreach (var (k, entry) in inputs)
            {
                var (name, type, shape, data) = ReadTensor(entry, k);
                var expected = Description.Arrays[i];
                if (name != _names[i] || ElementTypes.Name(type) != expected.DType)
                    throw new DatasetFormatException($"test_data_set_{set}/input_{k}.pb is '{name}' ({ElementTypes.Name(type)}), expected '{_names[i]}' ({expected.DType})");
                if (!shape.SequenceEqual(expected.Shape.Skip(1)))
                    throw new DatasetFormatException($"test_data_set_{set}/input_{k}.pb has shape [{string.Join(",", shape)}] but test_data_set_{_sets.Keys.First()} has [{string.Join(",", expected.Shape.Skip(1))}]: every sample needs the same shapes");
                sample[name] = new SampleTensor(type, shape, data);
                i++;
            }
            yield return sample;
        }
    }

    public long[]? ReadLabels() => null;

    public void Dispose() => _zip.Dispose();
}
