using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Graph;

/// <summary>
/// Read-only index over one GraphProto: who produces and who consumes each tensor name, which outer names
/// each node's subgraphs (If/Loop/Scan bodies) capture, and a topological order. Build a new view after edits.
/// </summary>
public sealed class GraphView
{
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeProto, HashSet<string>> _implicit = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inputs = new(StringComparer.Ordinal);

    public GraphView(GraphProto graph)
    {
        Graph = graph;
        foreach (var i in graph.Initializer) _initializers.Add(i.Name);
        foreach (var s in graph.SparseInitializer) _initializers.Add(s.Values?.Name ?? "");
        foreach (var i in graph.Input) _inputs.Add(i.Name);
        foreach (var node in graph.Node)
        {
            foreach (var o in node.Output)
                if (o.Length > 0) _producers.TryAdd(o, node);
            var captured = new HashSet<string>(StringComparer.Ordinal);
            foreach (var sub in Subgraphs.Of(node)) captured.UnionWith(Subgraphs.FreeNames(sub.Graph));
            _implicit[node] = captured;
            foreach (var name in node.Input.Concat(captured).Distinct())
            {
                if (name.Length == 0) continue;
                if (!_consumers.TryGetValue(name, out var list)) _consumers[name] = list = [];
                list.Add(node);
            }
        }
    }

    public GraphProto Graph { get; }

    /// <summary>The node whose output is <paramref name="tensor"/>, or null (graph input, initializer, outer scope, undefined).</summary>
    public NodeProto? ProducerOf(string tensor) => _producers.GetValueOrDefault(tensor);

    /// <summary>Nodes of this graph reading <paramref name="tensor"/>, directly or from inside their subgraphs.</summary>
    public IReadOnlyList<NodeProto> ConsumersOf(string tensor) =>
        _consumers.TryGetValue(tensor, out var l) ? l : [];

    /// <summary>Outer-scope names a node's subgraphs read (they are inputs of the node for ordering purposes).</summary>
    public IReadOnlySet<string> ImplicitInputsOf(NodeProto node) =>
        _implicit.TryGetValue(node, out var s) ? s : new HashSet<string>();

    /// <summary>The one node reading <paramref name="tensor"/>, when it reads it once and the tensor is not also a graph
    /// output: what a rewrite may change together with the tensor. Null otherwise.</summary>
    public NodeProto? SoleReaderOf(string tensor) =>
        ConsumersOf(tensor) is [var reader] && !IsGraphOutput(tensor) && reader.Input.Count(i => i == tensor) == 1 ? reader : null;

    public bool IsInitializer(string name) => _initializers.Contains(name);
    public bool IsGraphInput(string name) => _inputs.Contains(name);
    public bool IsGraphOutput(string name) => Graph.Output.Any(o => o.Name == name);

    /// <summary>Nodes in an order where every producer comes before its consumers; keeps the file's order where it can.</summary>
    /// <exception cref="OnnxFormatException">the graph has a cycle.</exception>
    public IReadOnlyList<NodeProto> TopologicalOrder()
    {
        var nodes = Graph.Node;
        var index = new Dictionary<NodeProto, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < nodes.Count; i++) index[nodes[i]] = i;
        var pending = new int[nodes.Count];
        var successors = new List<int>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++) successors[i] = [];
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var p in Predecessors(nodes[i]))
            {
                successors[index[p]].Add(i);
                pending[i]++;
            }
        }
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < nodes.Count; i++)
            if (pending[i] == 0) ready.Enqueue(i, i);
        var order = new List<NodeProto>(nodes.Count);
        while (ready.TryDequeue(out var i, out _))
        {
            order.Add(nodes[i]);
            foreach (var s in successors[i])
                if (--pending[s] == 0) ready.Enqueue(s, s);
        }
        if (order.Count != nodes.Count)
        {
            var start = Enumerable.Range(0, nodes.Count).First(i => pending[i] > 0);
            // Walk back through unfinished predecessors until a node repeats: that node is on a cycle.
            var seen = new HashSet<int>();
            var cur = start;
            while (seen.Add(cur))
                cur = Predecessors(nodes[cur]).Select(p => index[p]).First(p => pending[p] > 0);
            throw new OnnxFormatException($"graph '{Graph.Name}' has a cycle through node {Describe(nodes[cur])}");
        }
        return order;
    }

    /// <summary>Distinct nodes of this graph producing an input (explicit or captured) of <paramref name="node"/>.</summary>
    public IEnumerable<NodeProto> Predecessors(NodeProto node)
    {
        var seen = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var name in node.Input.Concat(ImplicitInputsOf(node)))
            if (name.Length > 0 && _producers.TryGetValue(name, out var p) && seen.Add(p))
                yield return p;
    }

    /// <summary>"'name' (OpType)" or "#index (OpType)" for unnamed nodes, for error messages.</summary>
    public string Describe(NodeProto node) =>
        node.Name.Length > 0 ? $"'{node.Name}' ({node.OpType})" : $"#{Graph.Node.IndexOf(node)} ({node.OpType})";
}
