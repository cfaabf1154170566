using Qaas.Onnx.Proto;

namespace Qaas.Bench.Models;

/// <summary>
/// The activation QuantizeLinear -> DequantizeLinear pairs of a QDQ model (those whose input is no initializer), for
/// studies that take some of them out: the tensor then stays float, and ONNX Runtime runs its consumers in fp32.
/// </summary>
public static class ActivationPairs
{
    /// <summary>The quantized activation tensors, in graph order.</summary>
    public static IReadOnlyList<string> Tensors(ModelProto model)
    {
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet();
        return model.Graph.Node.Where(n => n.OpType == "QuantizeLinear" && !initializers.Contains(n.Input[0])).Select(n => n.Input[0]).ToList();
    }

    /// <summary>A copy without the pairs of the tensors <paramref name="drop"/> picks: their readers read the float tensor.</summary>
    public static ModelProto Without(ModelProto model, Func<string, bool> drop)
    {
        var copy = model.Clone();
        var graph = copy.Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet();
        foreach (var q in graph.Node.Where(n => n.OpType == "QuantizeLinear" && !initializers.Contains(n.Input[0]) && drop(n.Input[0])).ToList())
        {
            var dq = graph.Node.FirstOrDefault(n => n.OpType == "DequantizeLinear" && n.Input[0] == q.Output[0]);
            if (dq is null) continue;
            foreach (var n in graph.Node)
                for (int i = 0; i < n.Input.Count; i++)
                    if (n.Input[i] == dq.Output[0]) n.Input[i] = q.Input[0];
            foreach (var o in graph.Output.Where(o => o.Name == dq.Output[0]))
                o.Name = q.Input[0];
            graph.Node.Remove(q);
            graph.Node.Remove(dq);
        }
        return copy;
    }
}
