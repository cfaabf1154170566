using Qaas.Onnx.Graph;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// The quantized form of each weight a subgraph captures from an enclosing graph, made once and placed in the graph
/// that defines the weight: every subgraph reading the weight sees it there (ONNX scoping: inner graphs see outer names,
/// never the reverse), and a weight shared by several branches or loop bodies is stored once. A weight of the node's
/// own graph is made afresh for each node, as for the main graph.
/// </summary>
/// <typeparam name="T">What the quantizer keeps of a made weight: the names it added and what its reports need.</typeparam>
internal sealed class CapturedWeights<T>(ScopedEditors editors)
{
    private readonly Dictionary<(GraphScope Owner, string Name, string Variant), T> _made = [];

    /// <summary>
    /// <paramref name="make"/>'s result for the weight <paramref name="name"/> defined in <paramref name="owner"/> and read
    /// in <paramref name="user"/>; <paramref name="make"/> gets the editor of the graph to add to. <paramref name="variant"/>
    /// holds whatever else changes the result (block size, transposition).
    /// </summary>
    public T For(GraphScope user, GraphScope owner, string name, string variant, Func<GraphEditor, T> make)
    {
        if (owner == user) return make(editors.Of(user.Graph));
        var key = (owner, name, variant);
        if (!_made.TryGetValue(key, out var made)) _made[key] = made = make(editors.Of(owner.Graph));
        return made;
    }

    public T For(WeightedMatMul m, string variant, Func<GraphEditor, T> make) =>
        For(m.Scope, m.WeightScope, m.WeightName, m.WeightForm + "|" + variant, make);
}
