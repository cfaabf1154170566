using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Io;

/// <summary>
/// Structural checks that make a parsed ModelProto safe to hand to the rest of the service:
/// supported IR version, a graph, unique names, every input produced, no cycles, sane dimensions and tensor sizes.
/// Throws <see cref="OnnxFormatException"/> naming the first problem found. Reads no external data.
/// </summary>
public static class ModelValidator
{
    public const long MinIrVersion = 3;
    public const long MaxIrVersion = 12;

    /// <summary>Dimensions above this are treated as corrupt (no real tensor axis has 4 billion entries).</summary>
    public const long MaxDimension = 1L << 32;

    public static void Validate(ModelProto model) => Validate(model, null);

    /// <param name="model">The model to check.</param>
    /// <param name="rawDataLength">
    /// Byte length of a tensor's inline raw_data when the proto no longer holds it (a structure-only load); null reads it from the proto.
    /// </param>
    public static void Validate(ModelProto model, Func<TensorProto, long>? rawDataLength)
    {
        if (model.Graph is null)
            throw new OnnxFormatException("not an ONNX model: it has no graph");
        if (!model.HasIrVersion)
            throw new OnnxFormatException("not an ONNX model: ir_version is missing");
        if (model.IrVersion < MinIrVersion || model.IrVersion > MaxIrVersion)
            throw new OnnxFormatException($"IR version {model.IrVersion} unsupported (supported: {MinIrVersion}..{MaxIrVersion})");
        if (model.OpsetImport.Count == 0)
            throw new OnnxFormatException("model imports no opset");
        var domains = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in model.OpsetImport)
        {
            if (!domains.Add(Opsets.NormalizeDomain(o.Domain)))
                throw new OnnxFormatException($"opset domain '{o.Domain}' is imported twice");
            if (o.Version < 1)
                throw new OnnxFormatException($"opset version {o.Version} of domain '{o.Domain}' is invalid");
        }
        ValidateGraph(model.Graph, new HashSet<string>(StringComparer.Ordinal), isMain: true, rawDataLength ?? (t => t.RawData.Length));
    }

    private static void ValidateGraph(GraphProto g, IReadOnlySet<string> outer, bool isMain, Func<TensorProto, long> rawDataLength)
    {
        var where = isMain ? "" : $" of subgraph '{g.Name}'";
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in g.Input)
        {
            if (!defined.Add(i.Name)) throw new OnnxFormatException($"duplicate graph input name '{i.Name}'{where}");
            CheckType(i, "input", where);
        }
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            if (!initializers.Add(t.Name)) throw new OnnxFormatException($"duplicate initializer name '{t.Name}'{where}");
            defined.Add(t.Name); // an initializer may also be listed as a graph input (its default value)
            CheckTensor(t, "initializer", rawDataLength);
        }
        foreach (var s in g.SparseInitializer)
        {
            var name = s.Values?.Name ?? "";
            if (!initializers.Add(name)) throw new OnnxFormatException($"duplicate initializer name '{name}'{where}");
            defined.Add(name);
        }

        var nodeNames = new HashSet<string>(StringComparer.Ordinal);
        var view = new GraphView(g);
        foreach (var n in g.Node)
        {
            if (n.Name.Length > 0 && !nodeNames.Add(n.Name))
                throw new OnnxFormatException($"duplicate node name '{n.Name}'{where}");
            if (n.OpType.Length == 0)
                throw new OnnxFormatException($"node {view.Describe(n)}{where} has no op_type");
            foreach (var o in n.Output)
            {
                if (o.Length == 0) continue;
                if (!defined.Add(o))
                    throw new OnnxFormatException($"duplicate tensor name '{o}'{where}: output of node {view.Describe(n)} is already defined");
            }
        }
        foreach (var n in g.Node)
        {
            foreach (var i in n.Input)
                if (i.Length > 0 && !defined.Contains(i) && !outer.Contains(i))
                    throw new OnnxFormatException($"node {view.Describe(n)}{where} input '{i}' is produced by nothing");
            foreach (var a in n.Attribute)
                if (a.T is not null) CheckTensor(a.T, $"attribute '{a.Name}' of node {view.Describe(n)}", rawDataLength);
        }
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in g.Output)
        {
            if (!outputs.Add(o.Name)) throw new OnnxFormatException($"duplicate graph output name '{o.Name}'{where}");
            if (!defined.Contains(o.Name) && !outer.Contains(o.Name))
                throw new OnnxFormatException($"graph output '{o.Name}'{where} is produced by nothing");
            CheckType(o, "output", where);
        }
        foreach (var v in g.ValueInfo) CheckType(v, "value_info", where);

        view.TopologicalOrder(); // throws on a cycle

        var scope = new HashSet<string>(outer, StringComparer.Ordinal);
        scope.UnionWith(defined);
        foreach (var n in g.Node)
            foreach (var sub in Subgraphs.Of(n))
                ValidateGraph(sub.Graph, scope, isMain: false, rawDataLength);
    }

    private static void CheckType(ValueInfoProto v, string role, string where)
    {
        var shape = v.Type?.TensorType?.Shape ?? v.Type?.SparseTensorType?.Shape;
        if (shape is null) return;
        foreach (var d in shape.Dim)
            if (d.HasDimValue && (d.DimValue > MaxDimension || d.DimValue < -1))
                throw new OnnxFormatException($"dimension {d.DimValue} of {role} '{v.Name}'{where} is absurd");
    }

    private static void CheckTensor(TensorProto t, string role, Func<TensorProto, long> rawDataLength)
    {
        foreach (var d in t.Dims)
            if (d < 0 || d > MaxDimension)
                throw new OnnxFormatException($"dimension {d} of {role} '{t.Name}' is absurd");
        if (TensorLayout.ElementCount(t) is null)
            throw new OnnxFormatException($"shape of {role} '{t.Name}' overflows");
        // A segment holds part of a tensor whose other parts live elsewhere; read as a whole tensor, it would be wrong.
        if (t.Segment is { } segment)
            throw new OnnxFormatException(
                $"{role} '{t.Name}' is a segment (elements {segment.Begin}..{segment.End}) of a chunked tensor; segmented tensors are not supported");
        if (t.HasRawData && TensorLayout.ByteSize(t) is long need && need != rawDataLength(t))
            throw new OnnxFormatException(
                $"{role} '{t.Name}' has {rawDataLength(t)} bytes of raw_data but shape [{string.Join(",", t.Dims)}] of {ElementType.Name(t.DataType)} needs {need}");
    }
}
