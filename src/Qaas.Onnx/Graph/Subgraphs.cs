using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Graph;

/// <summary>A graph held by a node attribute (If then/else branches, Loop and Scan bodies).</summary>
public readonly record struct SubgraphRef(NodeProto Node, AttributeProto Attribute, GraphProto Graph)
{
    /// <summary>"node/attribute" (the op type for an unnamed node): one step of a subgraph's path in reports.</summary>
    public string Label => (Node.Name.Length > 0 ? Node.Name : Node.OpType) + "/" + Attribute.Name;
}

/// <summary>Walks subgraphs held in node attributes, recursively.</summary>
public static class Subgraphs
{
    /// <summary>Direct subgraphs of one node (GRAPH and GRAPHS attributes).</summary>
    public static IEnumerable<SubgraphRef> Of(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            if (a.G is not null) yield return new SubgraphRef(node, a, a.G);
            foreach (var g in a.Graphs) yield return new SubgraphRef(node, a, g);
        }
    }

    /// <summary><paramref name="root"/> and every graph nested in it, outer graphs first.</summary>
    public static IEnumerable<GraphProto> All(GraphProto root)
    {
        var stack = new Stack<GraphProto>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var g = stack.Pop();
            yield return g;
            foreach (var n in g.Node)
                foreach (var s in Of(n))
                    stack.Push(s.Graph);
        }
    }

    /// <summary>Names a graph reads but does not define itself: what it captures from enclosing scopes.</summary>
    public static HashSet<string> FreeNames(GraphProto graph)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in graph.Input) defined.Add(i.Name);
        foreach (var i in graph.Initializer) defined.Add(i.Name);
        foreach (var s in graph.SparseInitializer) if (s.Values is not null) defined.Add(s.Values.Name);
        foreach (var n in graph.Node) foreach (var o in n.Output) defined.Add(o);
        var free = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            foreach (var i in n.Input) if (i.Length > 0 && !defined.Contains(i)) free.Add(i);
            foreach (var s in Of(n))
                foreach (var f in FreeNames(s.Graph)) if (!defined.Contains(f)) free.Add(f);
        }
        foreach (var o in graph.Output) if (!defined.Contains(o.Name)) free.Add(o.Name);
        return free;
    }
}
