using Qaas.Onnx.Proto;
using Qaas.Quantization.Recipes;

namespace Qaas.Quantization.Static;

/// <summary>Applies a recipe's node include/exclude filters (names and op types) to the main graph.</summary>
public static class NodeSelector
{
    /// <summary>Every op type this quantizer knows how to place Q/DQ around (<see cref="QdqOps"/>).</summary>
    public static IReadOnlyList<string> DefaultOpTypes => QdqOps.All;

    public static IReadOnlyList<NodeProto> Select(GraphProto graph, NodeSelection? selection)
    {
        var include = selection?.Include;
        var opTypes = new HashSet<string>(include?.OpTypes ?? (include?.Names is { Count: > 0 } ? [] : DefaultOpTypes), StringComparer.Ordinal);
        var names = new HashSet<string>(include?.Names ?? [], StringComparer.Ordinal);
        return graph.Node
            .Where(n => n.Domain.Length == 0 || n.Domain == "ai.onnx")
            .Where(n => QdqOps.IsSelectable(n.OpType))
            .Where(n => opTypes.Contains(n.OpType) || names.Contains(n.Name))
            .Where(n => !Excludes(selection, n))
            .ToList();
    }

    /// <summary>Whether the selection's exclude filter names the node or its op type.</summary>
    public static bool Excludes(NodeSelection? selection, NodeProto node) =>
        selection?.Exclude is { } exclude && (exclude.OpTypes?.Contains(node.OpType) == true || exclude.Names?.Contains(node.Name) == true);
}
