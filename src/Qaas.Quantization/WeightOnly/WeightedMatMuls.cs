using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Recipes;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// Finds the MatMuls (and Gemms with transA = 0 and a bias of 1 or N elements) a weight quantizer can rewrite:
/// selected by the recipe's `nodes`, B a constant 2-D float32 weight.
/// </summary>
public static class WeightedMatMuls
{
    public static IReadOnlyList<WeightedMatMul> Find(GraphProto graph, NodeSelection? selection)
    {
        var view = new GraphView(graph);
        var constants = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) constants[t.Name] = t;
        foreach (var n in graph.Node)
            if (ConstantNode.Is(n) && n.Output.Count == 1 && n.Attribute.Count == 1 && n.Attribute[0].Name == "value")
                constants[n.Output[0]] = n.Attribute[0].T;
        // An initializer that is also a graph input can be overridden at run time: not a constant.
        foreach (var i in graph.Input) constants.Remove(i.Name);

        var found = new List<WeightedMatMul>();
        foreach (var node in graph.Node)
        {
            if (node.Domain is not ("" or "ai.onnx") || !IsSelected(node, selection)) continue;
            var m = node.OpType switch
            {
                "MatMul" => MatMul(node, view, constants),
                "Gemm" => Gemm(node, constants),
                _ => null,
            };
            if (m is not null) found.Add(m);
        }
        return found;
    }

    private static bool IsWeight(Dictionary<string, TensorProto> constants, string name, out TensorProto w) =>
        constants.TryGetValue(name, out w!) && w.DataType == (int)DT.Float && w.Dims.Count == 2
        && w.Dims[0] > 0 && w.Dims[1] > 0 && w.Dims[0] * w.Dims[1] <= int.MaxValue;

    private static WeightedMatMul? MatMul(NodeProto node, GraphView view, Dictionary<string, TensorProto> constants)
    {
        if (node.Input.Count != 2 || !IsWeight(constants, node.Input[1], out var w)) return null;
        int k = (int)w.Dims[0], n = (int)w.Dims[1];
        var (add, bias) = BiasOf(node, n, view, constants);
        return new WeightedMatMul(node, node.Input[1], w, k, n, add, bias);
    }

    private static WeightedMatMul? Gemm(NodeProto node, Dictionary<string, TensorProto> constants)
    {
        if (node.Input.Count < 2 || (Attributes.Find(node, "transA")?.I ?? 0) != 0) return null;
        if (!IsWeight(constants, node.Input[1], out var w)) return null;
        bool transB = (Attributes.Find(node, "transB")?.I ?? 0) != 0;
        int k = (int)w.Dims[transB ? 1 : 0], n = (int)w.Dims[transB ? 0 : 1];
        TensorProto? c = null;
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            if (!constants.TryGetValue(node.Input[2], out c) || c.DataType != (int)DT.Float) return null;
            var count = TensorLayout.ElementCount(c);
            if (count != 1 && count != n) return null;
        }
        return new WeightedMatMul(node, node.Input[1], w, k, n, null, null)
        {
            TransposedWeight = transB,
            Alpha = Attributes.Find(node, "alpha")?.F ?? 1f,
            Beta = Attributes.Find(node, "beta")?.F ?? 1f,
            GemmBias = c,
        };
    }

    /// <summary>The recipe's node filter: included by op type or name (MatMul when no include is given), then not excluded.</summary>
    public static bool IsSelected(NodeProto node, NodeSelection? selection)
    {
        var include = selection?.Include;
        bool included = include is null || (include.OpTypes is null && include.Names is null)
            || (include.OpTypes?.Contains(node.OpType) ?? false) || (include.Names?.Contains(node.Name) ?? false);
        var exclude = selection?.Exclude;
        bool excluded = exclude is not null
            && ((exclude.OpTypes?.Contains(node.OpType) ?? false) || (exclude.Names?.Contains(node.Name) ?? false));
        return included && !excluded;
    }

    private static (NodeProto?, string?) BiasOf(NodeProto matMul, int n, GraphView view, Dictionary<string, TensorProto> constants)
    {
        var output = matMul.Output[0];
        if (view.IsGraphOutput(output) || view.ConsumersOf(output) is not [{ OpType: "Add" } add] || add.Input.Count != 2)
            return (null, null);
        var other = add.Input[0] == output ? add.Input[1] : add.Input[0];
        if (other == output || !constants.TryGetValue(other, out var b) || b.DataType != (int)DT.Float) return (null, null);
        return b.Dims.Count == 1 && b.Dims[0] == n ? (add, other) : (null, null);
    }
}
