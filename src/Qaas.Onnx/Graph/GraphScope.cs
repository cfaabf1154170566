using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Graph;

/// <summary>A constant tensor as seen from some graph: its value, the scope that defines it, and how it is stored.</summary>
/// <param name="FromConstantNode">true: a Constant node's `value`; false: an initializer.</param>
public sealed record ScopedConstant(string Name, TensorProto Tensor, GraphScope Owner, bool FromConstantNode);

/// <summary>
/// One graph of a model with its lexical scope (ONNX IR, "Names Within a Graph"): a subgraph (If branch, Loop or Scan
/// body) reads any name of its enclosing graphs unless it defines that name itself; an outer graph never sees inner
/// names. Resolves a name to the constant it denotes there (initializer or Constant node `value`, wherever it is
/// defined) and names the graph by its path: "" for the main graph, "node/attr[/node/attr...]" as in <see cref="ModelWeights"/>.
/// Built from the graphs as they are: build new scopes after edits that add or remove definitions.
/// </summary>
public sealed class GraphScope
{
    private readonly Dictionary<string, (TensorProto Tensor, bool FromConstantNode)> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);

    private GraphScope(GraphProto graph, GraphScope? parent, string path)
    {
        Graph = graph;
        Parent = parent;
        Path = path;
        foreach (var t in graph.Initializer) _constants[t.Name] = (t, false);
        foreach (var n in graph.Node)
            if (ConstantNode.Is(n) && n.Output.Count == 1 && n.Attribute.Count == 1 && n.Attribute[0].Name == "value")
                _constants[n.Output[0]] = (n.Attribute[0].T, true);
        // An initializer that is also a graph input can be overridden at run time: not a constant.
        foreach (var i in graph.Input) _constants.Remove(i.Name);

        foreach (var i in graph.Input) _defined.Add(i.Name);
        foreach (var t in graph.Initializer) _defined.Add(t.Name);
        foreach (var s in graph.SparseInitializer) if (s.Values is not null) _defined.Add(s.Values.Name);
        foreach (var n in graph.Node) foreach (var o in n.Output) if (o.Length > 0) _defined.Add(o);
    }

    public GraphProto Graph { get; }

    /// <summary>The scope of the graph holding the node this subgraph belongs to; null for the main graph.</summary>
    public GraphScope? Parent { get; }

    public string Path { get; }

    public bool IsMain => Parent is null;

    /// <summary>The main graph's scope and every subgraph's, each before the subgraphs it holds.</summary>
    public static IReadOnlyList<GraphScope> All(GraphProto main)
    {
        var all = new List<GraphScope>();
        void Walk(GraphScope scope)
        {
            all.Add(scope);
            foreach (var n in scope.Graph.Node)
                foreach (var sub in Subgraphs.Of(n))
                    Walk(new GraphScope(sub.Graph, scope, scope.IsMain ? sub.Label : scope.Path + "/" + sub.Label));
        }
        Walk(new GraphScope(main, null, ""));
        return all;
    }

    /// <summary>
    /// The constant <paramref name="name"/> denotes in this graph, looking outwards until some graph defines the name;
    /// null when the defining graph makes it something else (a graph input, a node output) or nothing defines it.
    /// </summary>
    public ScopedConstant? Resolve(string name)
    {
        if (name.Length == 0) return null;
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._constants.TryGetValue(name, out var c)) return new ScopedConstant(name, c.Tensor, scope, c.FromConstantNode);
            if (scope._defined.Contains(name)) return null;
        }
        return null;
    }

    /// <summary>
    /// How reports call <paramref name="node"/>: its own name in the main graph; "path/name" in a subgraph (its first
    /// output when unnamed), so that nodes of the same name in different branches stay apart.
    /// </summary>
    public string NameOf(NodeProto node) =>
        IsMain ? node.Name : Path + "/" + (node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? node.OpType);
}
