using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.QOperator;

/// <summary>
/// Finds QDQ patterns in one graph: which tensors come out of a DequantizeLinear and with what scale and zero
/// point, and whether a node's output goes into exactly one QuantizeLinear. Built once before any rewrite: the
/// rewrites touch disjoint nodes (a node, its Relu and its Q) and keep every DQ, so the index stays valid.
/// </summary>
internal sealed class QdqIndex
{
    private readonly GraphView _view;
    private readonly Dictionary<string, TensorProto> _initializers;

    public QdqIndex(GraphProto graph)
    {
        _view = new GraphView(graph);
        _initializers = graph.Initializer.GroupBy(t => t.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }

    /// <summary>Q/DQ in the ONNX domain or ONNX Runtime's com.microsoft one (same semantics).</summary>
    public static bool Is(NodeProto node, string opType) =>
        node.OpType == opType && Opsets.NormalizeDomain(node.Domain) is "" or "com.microsoft";

    public TensorProto? Initializer(string name) => _initializers.GetValueOrDefault(name);

    /// <summary>The pattern around <paramref name="node"/>, or null when its output does not go (only) into a Q.</summary>
    public QdqPattern? Match(NodeProto node)
    {
        if (node.Output.Count != 1 || !SoleReader(node.Output[0], out var next))
            return null;
        NodeProto? absorbed = null;
        if (ActivationFolding.IsCandidate(next) && next.Input[0] == node.Output[0])
        {
            absorbed = next;
            if (!SoleReader(absorbed.Output[0], out next))
                return null;
        }
        var tensor = absorbed?.Output[0] ?? node.Output[0];
        if (!Is(next, "QuantizeLinear") || next.Input[0] != tensor || Quantized(next.Output[0], next) is not { } output)
            return null;
        var inputs = node.Input.Select(i => i.Length == 0 ? null : Dequantized(i)).ToList();
        string? blocker = null;
        if (!output.PerTensor || !output.Is8Bit)
            blocker = $"its output is quantized to {output.TypeName}{(output.PerTensor ? "" : " per channel")}";
        else if (absorbed is not null && !ActivationFolding.Folds(absorbed, output, this))
            blocker = $"its {absorbed.OpType} is not absorbed by the output's range (zero point {output.ZeroPoints[0]})";
        return new QdqPattern(node, inputs, output, next, absorbed, blocker);
    }

    /// <summary>The quantized tensor behind <paramref name="tensor"/> when a DequantizeLinear produces it, else null.</summary>
    public QuantizedTensor? Dequantized(string tensor) =>
        _view.ProducerOf(tensor) is { } dq && Is(dq, "DequantizeLinear") ? Quantized(dq.Input[0], dq) : null;

    /// <summary>The integer tensor <paramref name="values"/> with the scale and zero point node <paramref name="qdq"/> reads.</summary>
    private QuantizedTensor? Quantized(string values, NodeProto qdq)
    {
        // Missing zero points, or scales computed at run time, are not canonical: left alone.
        if (qdq.Input.Count < 3 || qdq.Input[2].Length == 0)
            return null;
        if (Initializer(qdq.Input[1]) is not { } scale || Initializer(qdq.Input[2]) is not { } zeroPoint)
            return null;
        var scales = TensorData.ReadAsFloat(scale);
        var zeroPoints = Array.ConvertAll(TensorData.ReadAsFloat(zeroPoint), z => (int)z);
        var dims = Initializer(values)?.Dims.ToArray();
        long? axis = null;
        if (scale.Dims.Count > 0)
        {
            axis = Attributes.Find(qdq, "axis")?.I ?? 1;
            if (axis < 0 && dims is not null)
                axis += dims.Length;
        }
        return new QuantizedTensor(values, qdq.Input[1], qdq.Input[2], scales, zeroPoints, zeroPoint.DataType, axis, dims);
    }

    /// <summary>True when <paramref name="tensor"/> is no graph output and exactly one node reads it.</summary>
    private bool SoleReader(string tensor, out NodeProto reader)
    {
        reader = null!;
        if (_view.IsGraphOutput(tensor))
            return false;
        var readers = _view.ConsumersOf(tensor);
        if (readers.Count != 1)
            return false;
        reader = readers[0];
        return true;
    }
}
