using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Rewrite;

/// <summary>Hands out node and tensor names that clash with nothing in the model (all graphs, all scopes).</summary>
public sealed class NameAllocator
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public NameAllocator(GraphProto root)
    {
        foreach (var g in Subgraphs.All(root))
        {
            foreach (var v in g.Input.Concat(g.Output).Concat(g.ValueInfo)) _used.Add(v.Name);
            foreach (var t in g.Initializer) _used.Add(t.Name);
            foreach (var s in g.SparseInitializer) if (s.Values is not null) _used.Add(s.Values.Name);
            foreach (var n in g.Node)
            {
                _used.Add(n.Name);
                foreach (var i in n.Input) _used.Add(i);
                foreach (var o in n.Output) _used.Add(o);
            }
        }
    }

    /// <summary>"<paramref name="hint"/>" if free, else "hint_1", "hint_2", ...; the name is reserved.</summary>
    public string Fresh(string hint)
    {
        if (hint.Length > 0 && _used.Add(hint)) return hint;
        for (var i = 1; ; i++)
        {
            var candidate = $"{hint}_{i}";
            if (_used.Add(candidate)) return candidate;
        }
    }

    /// <summary>Marks a name as taken (e.g. one chosen by the caller).</summary>
    public void Reserve(string name) => _used.Add(name);

    public bool IsUsed(string name) => _used.Contains(name);
}
