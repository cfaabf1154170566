using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Rewrite;

/// <summary>
/// One <see cref="GraphEditor"/> per graph of a model (main graph, If branches, Loop and Scan bodies), all drawing from
/// one <see cref="NameAllocator"/>: a name added in any graph is unique model-wide, so it never shadows or is shadowed
/// by another scope's name. Remembers the graphs it handed an editor for, so that <see cref="Tidy"/> cleans those only.
/// </summary>
public sealed class ScopedEditors
{
    private readonly Dictionary<GraphProto, GraphEditor> _editors = new(ReferenceEqualityComparer.Instance);

    public ScopedEditors(ModelProto model)
    {
        Main = new GraphEditor(model);
    }

    /// <summary>The main graph's editor (not marked as edited by itself).</summary>
    public GraphEditor Main { get; }

    /// <summary>The editor for <paramref name="graph"/> (the main graph or one nested in it); the graph counts as edited.</summary>
    public GraphEditor Of(GraphProto graph)
    {
        if (!_editors.TryGetValue(graph, out var editor))
            _editors[graph] = editor = ReferenceEquals(graph, Main.Graph) ? Main : new GraphEditor(Main.Model, graph, Main.Names);
        return editor;
    }

    /// <summary>
    /// For each edited graph, innermost first (an outer graph's dead nodes and unused initializers depend on what its
    /// subgraphs still read): <paramref name="before"/>, then topological sort, dead nodes, unused initializers, stale value_info.
    /// </summary>
    public void Tidy(Action<GraphEditor>? before = null)
    {
        foreach (var graph in Subgraphs.All(Main.Graph).Reverse())
        {
            if (!_editors.TryGetValue(graph, out var editor)) continue;
            before?.Invoke(editor);
            editor.SortTopologically();
            editor.RemoveDeadNodes();
            editor.RemoveUnusedInitializers();
            editor.DropStaleValueInfo();
        }
    }
}
