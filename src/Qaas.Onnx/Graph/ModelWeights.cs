using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Graph;

/// <summary>Enumerates initializers, sparse initializers and Constant-node values of a graph and all its subgraphs.</summary>
public static class ModelWeights
{
    public static IEnumerable<WeightRef> All(GraphProto root) => Walk(root, "");

    private static IEnumerable<WeightRef> Walk(GraphProto g, string path)
    {
        foreach (var t in g.Initializer)
            yield return new WeightRef(t.Name, t, WeightSource.Initializer, g, path);
        foreach (var s in g.SparseInitializer)
            if (s.Values is not null)
                yield return new WeightRef(s.Values.Name, s.Values, WeightSource.SparseInitializer, g, path, Sparse: s);
        foreach (var n in g.Node)
        {
            if (ConstantNode.Is(n))
            {
                var a = n.Attribute.Count == 1 ? n.Attribute[0] : null;
                if (a?.Name == "sparse_value" && a.SparseTensor?.Values is { } sv)
                    yield return new WeightRef(n.Output.FirstOrDefault() ?? sv.Name, sv, WeightSource.ConstantNode, g, path, n, a.SparseTensor);
                else if (ConstantNode.ValueOf(n) is { } t)
                    yield return new WeightRef(n.Output.FirstOrDefault() ?? t.Name, t, WeightSource.ConstantNode, g, path, n);
            }
            foreach (var sub in Subgraphs.Of(n))
            {
                foreach (var w in Walk(sub.Graph, path.Length == 0 ? sub.Label : path + "/" + sub.Label))
                    yield return w;
            }
        }
    }
}
