using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Recipes;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// Finds the MatMuls (and Gemms with transA = 0 and a bias of 1 or N elements) of one graph that a weight quantizer can
/// rewrite: selected by the recipe's `nodes`, B a constant 2-D float32 weight of that graph or captured from an enclosing one.
/// </summary>
public static class WeightedMatMuls
{
    public static IReadOnlyList<WeightedMatMul> Find(GraphScope scope, NodeSelection? selection)
    {
        var view = new GraphView(scope.Graph);
        var found = new List<WeightedMatMul>();
        foreach (var node in scope.Graph.Node)
        {
            if (node.Domain is not ("" or "ai.onnx") || !IsSelected(node, selection, scope.NameOf(node))) continue;
            var m = node.OpType switch
            {
                "MatMul" => MatMul(node, view, scope),
                "Gemm" => Gemm(node, scope),
                _ => null,
            };
            if (m is not null) found.Add(m);
        }
        return found;
    }

    /// <summary>Those of every graph of the model: the main graph's first, then each subgraph's before those nested in it.</summary>
    public static IReadOnlyList<WeightedMatMul> FindAll(GraphProto main, NodeSelection? selection) =>
        GraphScope.All(main).SelectMany(s => Find(s, selection)).ToList();

    private static ScopedConstant? WeightOf(GraphScope scope, string name) =>
        scope.Resolve(name) is { } c && c.Tensor.DataType == (int)DT.Float && c.Tensor.Dims.Count == 2
        && c.Tensor.Dims[0] > 0 && c.Tensor.Dims[1] > 0 && c.Tensor.Dims[0] * c.Tensor.Dims[1] <= int.MaxValue ? c : null;

    private static WeightedMatMul? MatMul(NodeProto node, GraphView view, GraphScope scope)
    {
        if (node.Input.Count != 2 || WeightOf(scope, node.Input[1]) is not { } w) return null;
        int k = (int)w.Tensor.Dims[0], n = (int)w.Tensor.Dims[1];
        var (add, bias) = BiasOf(node, n, view, scope);
        return new WeightedMatMul(node, node.Input[1], w.Tensor, k, n, add, bias) { Scope = scope, WeightScope = w.Owner };
    }

    private static WeightedMatMul? Gemm(NodeProto node, GraphScope scope)
    {
        if (node.Input.Count < 2 || (Attributes.Find(node, "transA")?.I ?? 0) != 0) return null;
        if (WeightOf(scope, node.Input[1]) is not { } w) return null;
        bool transB = (Attributes.Find(node, "transB")?.I ?? 0) != 0;
        int k = (int)w.Tensor.Dims[transB ? 1 : 0], n = (int)w.Tensor.Dims[transB ? 0 : 1];
        TensorProto? c = null;
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            c = scope.Resolve(node.Input[2])?.Tensor;
            if (c is null || c.DataType != (int)DT.Float) return null;
            var count = TensorLayout.ElementCount(c);
            if (count != 1 && count != n) return null;
        }
        return new WeightedMatMul(node, node.Input[1], w.Tensor, k, n, null, null)
        {
            Scope = scope,
            WeightScope = w.Owner,
            TransposedWeight = transB,
            Alpha = Attributes.Find(node, "alpha")?.F ?? 1f,
            Beta = Attributes.Find(node, "beta")?.F ?? 1f,
            GemmBias = c,
        };
    }

    /// <summary>
    /// The recipe's node filter: included by op type or name (MatMul when no include is given), then not excluded. A name
    /// matches the node's own or, for a subgraph node, the one reports give it (<paramref name="reportName"/>).
    /// </summary>
    public static bool IsSelected(NodeProto node, NodeSelection? selection, string? reportName = null)
    {
        bool Named(IReadOnlyList<string>? names) => names is not null
            && (names.Contains(node.Name) || (reportName is not null && reportName != node.Name && names.Contains(reportName)));
        var include = selection?.Include;
        bool included = include is null || (include.OpTypes is null && include.Names is null)
            || (include.OpTypes?.Contains(node.OpType) ?? false) || Named(include.Names);
        var exclude = selection?.Exclude;
        bool excluded = exclude is not null && ((exclude.OpTypes?.Contains(node.OpType) ?? false) || Named(exclude.Names));
        return included && !excluded;
    }

    private static (NodeProto?, string?) BiasOf(NodeProto matMul, int n, GraphView view, GraphScope scope)
    {
        var output = matMul.Output[0];
        if (view.IsGraphOutput(output) || view.ConsumersOf(output) is not [{ OpType: "Add" } add] || add.Input.Count != 2)
            return (null, null);
        var other = add.Input[0] == output ? add.Input[1] : add.Input[0];
        if (other == output || scope.Resolve(other)?.Tensor is not { } b || b.DataType != (int)DT.Float) return (null, null);
        return b.Dims.Count == 1 && b.Dims[0] == n ? (add, other) : (null, null);
    }
}
