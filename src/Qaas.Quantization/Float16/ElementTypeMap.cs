using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Quantization.Float16;

/// <summary>
/// The element type of every main-graph tensor of the original model, where it can be known: declared types
/// (inputs, outputs, value_info, initializers, Constants) and the op's typing rule (output follows T, or a fixed type).
/// Unknown tensors (0) make their readers stay as they are, which is always valid.
/// </summary>
internal sealed class ElementTypeMap
{
    private readonly Dictionary<string, int> _types = new(StringComparer.Ordinal);

    public ElementTypeMap(GraphProto graph, IReadOnlyList<NodeProto> order)
    {
        var declared = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var v in graph.Input.Concat(graph.ValueInfo).Concat(graph.Output))
            if (v.Type?.TensorType is { ElemType: > 0 } t) declared[v.Name] = t.ElemType;
        foreach (var i in graph.Input)
            if (declared.TryGetValue(i.Name, out var t)) _types[i.Name] = t;
        foreach (var t in graph.Initializer) _types.TryAdd(t.Name, t.DataType);
        foreach (var node in order)
        {
            var typing = OpTyping.Of(node);
            int tType = typing is null ? 0 : TypeOfT(node, typing);
            for (int j = 0; j < node.Output.Count; j++)
            {
                var name = node.Output[j];
                if (name.Length == 0) continue;
                int type = OpTyping.FixedOutputType(node, j, Of);
                if (type == 0 && typing is not null && typing.IsTOutput(j)) type = tType;
                if (type == 0) declared.TryGetValue(name, out type);
                if (type != 0) _types[name] = type;
            }
        }
    }

    /// <summary>The original element type of <paramref name="name"/>, 0 when unknown.</summary>
    public int Of(string name) => _types.GetValueOrDefault(name);

    /// <summary>The type T of a node: that of its first T input with a known type (0 when none is known).</summary>
    public int TypeOfT(NodeProto node, OpTyping typing)
    {
        for (int i = 0; i < node.Input.Count; i++)
            if (node.Input[i].Length > 0 && typing.IsTInput(i))
                return Of(node.Input[i]);
        return 0;
    }
}
