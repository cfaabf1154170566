using System.Collections.Concurrent;
using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Io;

/// <summary>
/// A loaded, validated ONNX model. The ModelProto is held in memory; external tensor data stays in its files
/// (checked at load, read only when asked through <see cref="OpenTensorData"/> or <see cref="TensorData"/>).
/// </summary>
public sealed class OnnxModel
{
    // Resolved once per tensor; concurrent because quantizers read weights from several threads.
    private readonly ConcurrentDictionary<TensorProto, ExternalDataReference> _external = new(ReferenceEqualityComparer.Instance);

    // Original raw_data lengths of the tensors a structure-only load left empty; null for a full load.
    private readonly Dictionary<TensorProto, long>? _strippedRawLengths;

    private OnnxModel(ModelProto proto, ModelFileSet? files, Dictionary<TensorProto, long>? strippedRawLengths = null)
    {
        Proto = proto;
        Files = files;
        _strippedRawLengths = strippedRawLengths;
    }

    public ModelProto Proto { get; }

    /// <summary>The files external data may come from; null for a model read from a stream.</summary>
    public ModelFileSet? Files { get; }

    public GraphProto Graph => Proto.Graph;

    /// <summary>
    /// True for a model from <see cref="LoadStructure(string, bool)"/>: inline raw_data is empty (lengths are kept, see
    /// <see cref="RawLength"/>), so it can be inspected and summarised but not read from or saved.
    /// </summary>
    public bool IsStructureOnly => _strippedRawLengths is not null;

    /// <summary>Wraps an in-memory ModelProto (e.g. one built by code) after validating it.</summary>
    public static OnnxModel FromProto(ModelProto proto, ModelFileSet? files = null, bool validate = true)
    {
        var m = new OnnxModel(proto, files);
        if (validate) m.Validate();
        return m;
    }

    /// <summary>Loads a .onnx file; its folder is the file set for external data.</summary>
    public static OnnxModel Load(string path, bool validate = true) => Load(ModelFileSet.FromModelFile(path), validate);

    /// <summary>Loads an uploaded set of files (relative name -> path on disk).</summary>
    public static OnnxModel Load(IReadOnlyDictionary<string, string> files, string? mainName = null, bool validate = true) =>
        Load(ModelFileSet.FromFiles(files, mainName), validate);

    public static OnnxModel Load(ModelFileSet files, bool validate = true)
    {
        if (!File.Exists(files.MainFile)) throw new OnnxFormatException($"model file '{files.MainFile}' does not exist");
        ModelProto proto;
        using (var s = new FileStream(files.MainFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            proto = Parse(s);
        return FromProto(proto, files, validate);
    }

    /// <summary>
    /// Loads and validates a .onnx file's structure without its inline tensor payloads: raw_data is skipped while
    /// streaming, so memory stays small whatever the file size. Validation and <see cref="Summary.ModelSummary"/>
    /// give the same results as a full <see cref="Load(string, bool)"/>; tensor values cannot be read.
    /// </summary>
    public static OnnxModel LoadStructure(string path, bool validate = true) => LoadStructure(ModelFileSet.FromModelFile(path), validate);

    public static OnnxModel LoadStructure(ModelFileSet files, bool validate = true)
    {
        if (!File.Exists(files.MainFile)) throw new OnnxFormatException($"model file '{files.MainFile}' does not exist");
        // The filter buffers its reads itself; a second FileStream buffer would only add copies.
        using var s = new FileStream(files.MainFile, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        return LoadStructure(s, files, validate);
    }

    /// <summary>Structure-only load from a stream (seekable or not); such a model cannot reference external data.</summary>
    public static OnnxModel LoadStructure(Stream stream, bool validate = true) => LoadStructure(stream, null, validate);

    private static OnnxModel LoadStructure(Stream stream, ModelFileSet? files, bool validate)
    {
        ModelProto proto;
        using (var structure = PayloadStrippingFilter.Filter(stream))
            proto = Parse(structure);
        var m = new OnnxModel(proto, files, StrippedRawData.Restore(proto));
        if (validate) m.Validate();
        return m;
    }

    /// <summary>Loads a model from a stream; such a model cannot reference external data.</summary>
    public static OnnxModel Load(Stream stream, bool validate = true) => FromProto(Parse(stream), null, validate);

    /// <summary>Parses ModelProto bytes, turning protobuf errors into <see cref="OnnxFormatException"/>.</summary>
    public static ModelProto Parse(Stream stream)
    {
        var input = new CodedInputStream(stream, leaveOpen: true);
        var model = new ModelProto();
        try
        {
            model.MergeFrom(input);
        }
        catch (InvalidProtocolBufferException e)
        {
            var what = e.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase) ? "input is truncated" : e.Message;
            throw new OnnxFormatException($"not an ONNX model: protobuf parse failed at byte {input.Position}: {what}", e);
        }
        return model;
    }

    /// <summary>Parses TensorProto bytes (ONNX test-data .pb files).</summary>
    public static TensorProto ParseTensor(Stream stream)
    {
        var input = new CodedInputStream(stream, leaveOpen: true);
        var t = new TensorProto();
        try { t.MergeFrom(input); }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"not an ONNX tensor: protobuf parse failed at byte {input.Position}: {e.Message}", e);
        }
        return t;
    }

    /// <summary>Structure checks plus external-data checks (paths, links, bounds); reads no tensor data.</summary>
    public void Validate()
    {
        ModelValidator.Validate(Proto, InlineRawLength);
        foreach (var t in AllTensors(Proto))
            if (ExternalDataReference.IsExternal(t)) ExternalDataOf(t);
    }

    /// <summary>Where the external data of <paramref name="t"/> lives, or null if it is stored inline.</summary>
    public ExternalDataReference? ExternalDataOf(TensorProto t)
    {
        if (!ExternalDataReference.IsExternal(t)) return null;
        if (_external.TryGetValue(t, out var r)) return r;
        if (Files is null)
            throw new OnnxFormatException($"tensor '{t.Name}' uses external data but the model was read from a stream without its files");
        r = ExternalDataReference.Resolve(t, Files);
        _external.TryAdd(t, r);
        return r;
    }

    /// <summary>
    /// The tensor's raw little-endian bytes as a stream: a window onto the external file, or raw_data in memory.
    /// Tensors stored in typed fields (float_data, ...) have no raw bytes: use <see cref="TensorData"/>.
    /// </summary>
    public Stream OpenTensorData(TensorProto t)
    {
        RefuseIfStructureOnly();
        if (ExternalDataOf(t) is { } ext)
        {
            var fs = new FileStream(ext.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return new BoundedReadStream(fs, ext.Offset, ext.Length);
        }
        if (t.HasRawData)
            return new BoundedReadStream(new ReadOnlyByteStringStream(t.RawData), 0, t.RawData.Length);
        throw new InvalidOperationException($"tensor '{t.Name}' keeps its values in typed fields, not raw bytes");
    }

    /// <summary>Byte length of a tensor's raw data (external or inline), or null when it uses typed fields.</summary>
    public long? RawLength(TensorProto t) =>
        ExternalDataOf(t) is { } ext ? ext.Length : t.HasRawData ? InlineRawLength(t) : null;

    private long InlineRawLength(TensorProto t) =>
        _strippedRawLengths is not null && _strippedRawLengths.TryGetValue(t, out var n) ? n : t.RawData.Length;

    private void RefuseIfStructureOnly()
    {
        if (IsStructureOnly)
            throw new InvalidOperationException("the model was loaded without its tensor payloads (LoadStructure); load it with Load to read or save it");
    }

    public void Save(Stream output)
    {
        RefuseIfStructureOnly();
        ModelWriter.Save(this, output);
    }

    /// <summary>Writes model + (when needed or asked) external data into <paramref name="folder"/>; returns the .onnx path.</summary>
    public string SaveToFolder(string folder, ModelSaveOptions? options = null)
    {
        RefuseIfStructureOnly();
        return ModelWriter.SaveToFolder(this, folder, options ?? new ModelSaveOptions());
    }

    /// <summary>Every TensorProto of the model: initializers, attribute tensors, sparse tensors, in all graphs and functions.</summary>
    public static IEnumerable<TensorProto> AllTensors(ModelProto model)
    {
        var graphs = new List<GraphProto>();
        if (model.Graph is not null) graphs.AddRange(Subgraphs.All(model.Graph));
        foreach (var ti in model.TrainingInfo)
        {
            if (ti.Initialization is not null) graphs.AddRange(Subgraphs.All(ti.Initialization));
            if (ti.Algorithm is not null) graphs.AddRange(Subgraphs.All(ti.Algorithm));
        }
        foreach (var g in graphs)
        {
            foreach (var t in g.Initializer) yield return t;
            foreach (var s in g.SparseInitializer)
            {
                if (s.Values is not null) yield return s.Values;
                if (s.Indices is not null) yield return s.Indices;
            }
            foreach (var n in g.Node)
                foreach (var t in AttributeTensors(n))
                    yield return t;
        }
        foreach (var f in model.Functions)
            foreach (var n in f.Node)
                foreach (var t in AttributeTensors(n))
                    yield return t;
    }

    private static IEnumerable<TensorProto> AttributeTensors(NodeProto n)
    {
        foreach (var a in n.Attribute)
        {
            if (a.T is not null) yield return a.T;
            foreach (var t in a.Tensors) yield return t;
            if (a.SparseTensor is not null)
            {
                if (a.SparseTensor.Values is not null) yield return a.SparseTensor.Values;
                if (a.SparseTensor.Indices is not null) yield return a.SparseTensor.Indices;
            }
        }
    }
}
