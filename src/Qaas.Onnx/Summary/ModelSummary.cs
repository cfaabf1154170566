using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Summary;

/// <summary>What an upload is: opsets, interface, size, operator mix. Computed without reading external data.</summary>
public sealed record ModelSummary(
    long IrVersion,
    string ProducerName,
    string ProducerVersion,
    IReadOnlyDictionary<string, long> Opsets,
    IReadOnlyList<TensorSpec> Inputs,
    IReadOnlyList<TensorSpec> Outputs,
    long ParameterCount,
    IReadOnlyDictionary<string, int> OpCounts)
{
    public static ModelSummary Of(OnnxModel model) => Of(model.Proto);

    /// <summary>Summarises a .onnx file from its structure alone (<see cref="OnnxModel.LoadStructure(string, bool)"/>): inline payloads are never held.</summary>
    public static ModelSummary OfFile(string path) => Of(OnnxModel.LoadStructure(path));

    public static ModelSummary Of(ModelProto model)
    {
        var g = model.Graph;
        var initializers = new HashSet<string>(g.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        var ops = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var graph in Subgraphs.All(g))
            foreach (var n in graph.Node)
                ops[n.OpType] = ops.GetValueOrDefault(n.OpType) + 1;
        long parameters = 0;
        foreach (var w in ModelWeights.All(g)) parameters += w.ElementCount;
        return new ModelSummary(
            model.IrVersion,
            model.ProducerName,
            model.ProducerVersion,
            Graph.Opsets.Of(model),
            // Old exporters list initializers as inputs too; those are not inputs a caller feeds.
            g.Input.Where(i => !initializers.Contains(i.Name)).Select(Spec).ToList(),
            g.Output.Select(Spec).ToList(),
            parameters,
            ops);
    }

    private static TensorSpec Spec(ValueInfoProto v) => new(v.Name, TypeName(v.Type), ShapeOf(v.Type));

    /// <summary>"float32", "sequence(float32)", "map(int64,float32)", "optional(...)", "sparse(float32)", "unknown".</summary>
    public static string TypeName(TypeProto? t) => t?.ValueCase switch
    {
        TypeProto.ValueOneofCase.TensorType => ElementType.Name(t.TensorType.ElemType),
        TypeProto.ValueOneofCase.SparseTensorType => $"sparse({ElementType.Name(t.SparseTensorType.ElemType)})",
        TypeProto.ValueOneofCase.SequenceType => $"sequence({TypeName(t.SequenceType.ElemType)})",
        TypeProto.ValueOneofCase.MapType => $"map({ElementType.Name(t.MapType.KeyType)},{TypeName(t.MapType.ValueType)})",
        TypeProto.ValueOneofCase.OptionalType => $"optional({TypeName(t.OptionalType.ElemType)})",
        TypeProto.ValueOneofCase.OpaqueType => "opaque",
        _ => "unknown",
    };

    private static IReadOnlyList<object?>? ShapeOf(TypeProto? t)
    {
        var shape = t?.TensorType?.Shape ?? t?.SparseTensorType?.Shape;
        if (shape is null) return null;
        return shape.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => (object?)d.DimValue,
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => d.DimParam,
            _ => null,
        }).ToList();
    }
}
