using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// The constant parameters of elementwise nodes that range derivation needs: float scalars the graph holds as
/// initializers (not overridable by an input) or Constant nodes, float attributes and Clip's bounds.
/// </summary>
internal sealed class NodeParameters
{
    private readonly OnnxModel _model;
    private readonly IReadOnlyDictionary<string, NodeProto> _producers;
    private readonly Dictionary<string, TensorProto> _initializers;

    /// <param name="producers">Tensor name -> the main-graph node that outputs it.</param>
    public NodeParameters(OnnxModel model, IReadOnlyDictionary<string, NodeProto> producers)
    {
        _model = model;
        _producers = producers;
        var inputs = model.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        _initializers = model.Graph.Initializer.Where(i => !inputs.Contains(i.Name))
            .GroupBy(i => i.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    /// <summary>Tensor name -> producing node, for the main graph.</summary>
    public static Dictionary<string, NodeProto> Producers(GraphProto graph)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var output in node.Output)
                if (output.Length > 0)
                    producers.TryAdd(output, node);
        return producers;
    }

    public bool IsConstant(string name) =>
        _initializers.ContainsKey(name) || (_producers.TryGetValue(name, out var n) && ConstantNode.Is(n));

    /// <summary>The value of a one-element finite float constant, else null.</summary>
    public float? Scalar(string name)
    {
        var tensor = _initializers.GetValueOrDefault(name)
            ?? (_producers.TryGetValue(name, out var n) ? ConstantNode.ValueOf(n) : null);
        if (tensor is null || tensor.DataType != (int)DT.Float || TensorLayout.ElementCount(tensor) != 1)
            return null;
        var value = TensorData.Read<float>(tensor, _model)[0];
        return float.IsFinite(value) ? value : null;
    }

    public static float Attribute(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    /// <summary>Clip's (lo, hi), or null when a bound is not a constant scalar or the bounds cross.</summary>
    // Opset 6-10 keep the bounds in attributes, later opsets in optional constant inputs.
    public (float Lo, float Hi)? ClipBounds(NodeProto node) => ClipBounds(node, Scalar);

    /// <summary>Clip's (lo, hi) with its bound inputs read by <paramref name="scalar"/> (null: not a constant scalar).</summary>
    public static (float Lo, float Hi)? ClipBounds(NodeProto node, Func<string, float?> scalar)
    {
        float lo = Attribute(node, "min", float.MinValue), hi = Attribute(node, "max", float.MaxValue);
        if (float.IsNaN(lo) || float.IsNaN(hi))
            return null;
        for (var i = 1; i < Math.Min(node.Input.Count, 3); i++)
        {
            if (node.Input[i].Length == 0)
                continue;
            if (scalar(node.Input[i]) is not { } bound)
                return null;
            if (i == 1) lo = bound; else hi = bound;
        }
        return lo > hi ? null : (lo, hi); // crossed bounds: kernels disagree on which one wins
    }

    /// <summary>Whether the node is of the default domain and <paramref name="output"/> is its first output.</summary>
    public static bool IsDefaultDomainOutput(NodeProto node, string output) =>
        node.Domain is "" or "ai.onnx" && node.Output.Count > 0 && node.Output[0] == output && node.Input.Count > 0;
}
