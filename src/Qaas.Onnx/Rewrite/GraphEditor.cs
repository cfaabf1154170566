using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Rewrite;

/// <summary>
/// Small, safe edits on one graph of a model (the main graph, or a subgraph through <see cref="ScopedEditors"/>): add
/// nodes and initializers under fresh names, rewire uses, clean up dead nodes, unused initializers and stale
/// value_info, manage opset imports, promote Constants. Edits go straight into the ModelProto; call
/// <see cref="SortTopologically"/> after inserting nodes out of order.
/// </summary>
public sealed class GraphEditor
{
    /// <summary>An editor for the model's main graph.</summary>
    public GraphEditor(ModelProto model) : this(model, model.Graph, new NameAllocator(model.Graph))
    {
    }

    /// <summary>An editor for <paramref name="graph"/>, one of <paramref name="model"/>'s graphs, drawing names from <paramref name="names"/>.</summary>
    internal GraphEditor(ModelProto model, GraphProto graph, NameAllocator names)
    {
        Model = model;
        Graph = graph;
        Names = names;
    }

    public ModelProto Model { get; }

    /// <summary>The graph this editor changes: nodes and initializers are added to and removed from it.</summary>
    public GraphProto Graph { get; }

    public NameAllocator Names { get; }

    /// <summary>Appends a node; its name is made unique from <paramref name="name"/> (or the op type).</summary>
    public NodeProto AddNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs,
        string? name = null, string domain = "", params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Names.Fresh(name ?? opType) };
        if (domain.Length > 0) node.Domain = domain;
        node.Input.AddRange(inputs);
        foreach (var o in outputs)
        {
            Names.Reserve(o);
            node.Output.Add(o);
        }
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return node;
    }

    /// <summary>Adds <paramref name="tensor"/> as an initializer, renaming it if its name is taken; returns the name used.</summary>
    public string AddInitializer(TensorProto tensor)
    {
        tensor.Name = Names.Fresh(tensor.Name.Length > 0 ? tensor.Name : "initializer");
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Removes one node (its outputs become undefined: rewire their readers first).</summary>
    public bool RemoveNode(NodeProto node)
    {
        // By reference: protobuf messages compare by value.
        for (var i = 0; i < Graph.Node.Count; i++)
        {
            if (!ReferenceEquals(Graph.Node[i], node)) continue;
            Graph.Node.RemoveAt(i);
            return true;
        }
        return false;
    }

    /// <summary>This graph's initializer called <paramref name="name"/>, or null.</summary>
    public TensorProto? FindInitializer(string name) => Graph.Initializer.FirstOrDefault(t => t.Name == name);

    /// <summary>
    /// Makes every reader of <paramref name="oldName"/> read <paramref name="newName"/>: node inputs, names captured by
    /// subgraphs, and (unless told otherwise) graph outputs. <paramref name="except"/> keeps its input (e.g. the new
    /// node that consumes the old tensor). Returns the number of references changed.
    /// </summary>
    public int ReplaceAllUses(string oldName, string newName, NodeProto? except = null, bool includeGraphOutputs = true)
    {
        var changed = ReplaceIn(Graph, oldName, newName, except);
        if (includeGraphOutputs)
            foreach (var o in Graph.Output)
                if (o.Name == oldName) { o.Name = newName; changed++; }
        return changed;
    }

    private static int ReplaceIn(GraphProto g, string oldName, string newName, NodeProto? except)
    {
        var changed = 0;
        foreach (var n in g.Node)
        {
            if (ReferenceEquals(n, except)) continue;
            for (var i = 0; i < n.Input.Count; i++)
                if (n.Input[i] == oldName) { n.Input[i] = newName; changed++; }
            foreach (var sub in Subgraphs.Of(n))
            {
                if (Defines(sub.Graph, oldName)) continue; // shadowed inside the subgraph
                changed += ReplaceIn(sub.Graph, oldName, newName, except);
                foreach (var o in sub.Graph.Output)
                    if (o.Name == oldName) { o.Name = newName; changed++; }
            }
        }
        return changed;
    }

    private static bool Defines(GraphProto g, string name) =>
        g.Input.Any(i => i.Name == name) || g.Initializer.Any(i => i.Name == name)
        || g.Node.Any(n => n.Output.Contains(name));

    /// <summary>Removes nodes none of whose outputs reach a graph output (directly or through other nodes). Returns how many.</summary>
    public int RemoveDeadNodes()
    {
        var view = new GraphView(Graph);
        var order = view.TopologicalOrder();
        var live = new HashSet<string>(Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var keep = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        for (var i = order.Count - 1; i >= 0; i--)
        {
            var n = order[i];
            if (!n.Output.Any(live.Contains)) continue;
            keep.Add(n);
            foreach (var input in n.Input.Concat(view.ImplicitInputsOf(n))) live.Add(input);
        }
        var removed = Graph.Node.Count - keep.Count;
        if (removed > 0)
        {
            var kept = Graph.Node.Where(keep.Contains).ToList();
            Graph.Node.Clear();
            Graph.Node.AddRange(kept);
        }
        return removed;
    }

    /// <summary>Removes initializers nothing reads (initializers also listed as graph inputs are kept: callers may feed them).</summary>
    public int RemoveUnusedInitializers()
    {
        var view = new GraphView(Graph);
        var inputs = new HashSet<string>(Graph.Input.Select(i => i.Name), StringComparer.Ordinal);
        var unused = Graph.Initializer
            .Where(t => view.ConsumersOf(t.Name).Count == 0 && !view.IsGraphOutput(t.Name) && !inputs.Contains(t.Name))
            .ToList();
        foreach (var t in unused) Graph.Initializer.Remove(t);
        return unused.Count;
    }

    /// <summary>Drops value_info entries (all graphs) for names no node, input or initializer of that graph defines.</summary>
    public int DropStaleValueInfo()
    {
        var dropped = 0;
        foreach (var g in Subgraphs.All(Graph))
        {
            var defined = new HashSet<string>(StringComparer.Ordinal);
            foreach (var n in g.Node) defined.UnionWith(n.Output);
            foreach (var t in g.Initializer) defined.Add(t.Name);
            foreach (var i in g.Input) defined.Add(i.Name);
            var stale = g.ValueInfo.Where(v => !defined.Contains(v.Name)).ToList();
            foreach (var v in stale) g.ValueInfo.Remove(v);
            dropped += stale.Count;
        }
        return dropped;
    }

    /// <summary>
    /// Makes the model import <paramref name="domain"/> at <paramref name="minVersion"/> or later ("" = ONNX; raising it
    /// also raises ir_version to what that opset needs). Returns the version now imported.
    /// </summary>
    public long EnsureOpset(string domain, long minVersion)
    {
        domain = Opsets.NormalizeDomain(domain);
        var import = Model.OpsetImport.FirstOrDefault(o => Opsets.NormalizeDomain(o.Domain) == domain);
        if (import is null)
        {
            import = new OperatorSetIdProto { Domain = domain, Version = minVersion };
            Model.OpsetImport.Add(import);
        }
        else if (import.Version < minVersion)
        {
            import.Version = minVersion;
        }
        if (domain.Length == 0)
        {
            var ir = IrVersions.MinimumFor(import.Version);
            if (Model.IrVersion < ir) Model.IrVersion = ir;
        }
        return import.Version;
    }

    /// <summary>
    /// Turns this graph's Constant nodes with a dense value into initializers of the same name (weights then sit where
    /// quantizers look for them). Skips Constants that feed graph outputs directly, and IR &lt; 4 models (whose
    /// initializers would also have to be graph inputs). Returns how many were promoted.
    /// </summary>
    public int PromoteConstantsToInitializers()
    {
        if (Model.IrVersion < 4) return 0;
        var outputs = new HashSet<string>(Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var promoted = new List<NodeProto>();
        foreach (var n in Graph.Node)
        {
            if (!ConstantNode.Is(n) || n.Output.Count != 1 || outputs.Contains(n.Output[0])) continue;
            if (n.Attribute.Count != 1 || n.Attribute[0].Name == "sparse_value") continue;
            var value = ConstantNode.ValueOf(n);
            if (value is null) continue;
            value.Name = n.Output[0];
            Graph.Initializer.Add(value);
            promoted.Add(n);
        }
        foreach (var n in promoted) RemoveNode(n);
        return promoted.Count;
    }

    /// <summary>Reorders graph.node so producers come before consumers (ONNX requires it in files).</summary>
    public void SortTopologically()
    {
        var order = new GraphView(Graph).TopologicalOrder();
        Graph.Node.Clear();
        Graph.Node.AddRange(order);
    }
}
