using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Static;

/// <summary>Where the Q/DQ pairs go around one selected node.</summary>
/// <param name="ActivationInputs">Input indexes fed through a shared activation Q->DQ.</param>
/// <param name="InputTensors">The tensor quantized for each of <paramref name="ActivationInputs"/>.</param>
/// <param name="WeightInput">Input index of the initializer weight, stored quantized behind a DequantizeLinear.</param>
/// <param name="WeightAxis">Output-channel axis of the weight for per-channel scales, or null when only per-tensor fits.</param>
/// <param name="BiasInput">Input index of a float bias that can be stored as int32 (scale = x_scale * w_scale), or null.</param>
/// <param name="OutputTensor">The tensor whose Q->DQ closes the pattern: the node's output, or the output of a
/// Relu/Clip that alone reads it (the Q then absorbs the activation).</param>
public sealed record QdqNodePlan(
    NodeProto Node,
    IReadOnlyList<int> ActivationInputs,
    IReadOnlyList<string> InputTensors,
    int WeightInput,
    int? WeightAxis,
    int? BiasInput,
    string OutputTensor);

/// <summary>
/// Decides the Q/DQ placement ONNX Runtime fuses into integer kernels (QLinearConv, QLinearMatMul, QGemm):
/// DQ on every input, quantized weights, and a Q on the output, moved past a Relu/Clip(min 0) when that is the only
/// reader so the activation folds into the Q (ORT drops it when the Q's zero point is the type minimum).
/// </summary>
public static class QdqPlacement
{
    public static IReadOnlyList<QdqNodePlan> Plan(GraphProto graph, IEnumerable<NodeProto> selected)
    {
        var view = new GraphView(graph);
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var plans = new List<QdqNodePlan>();
        foreach (var node in selected)
        {
            var plan = node.OpType switch
            {
                "Conv" => PlanConv(node, initializers),
                "MatMul" => PlanMatMul(node, initializers),
                "Gemm" => PlanGemm(node, initializers),
                _ => null,
            };
            if (plan is null)
                continue;
            var inputs = plan.ActivationInputs.Select(i => node.Input[i]).ToList();
            plans.Add(plan with { InputTensors = inputs, OutputTensor = QuantizedOutput(node, view, initializers) });
        }
        return plans;
    }

    /// <summary>Every activation tensor the plans quantize (what calibration must observe).</summary>
    /// <param name="includeOutputs">False when only the inputs get Q/DQ (float8, which has no fused kernels).</param>
    public static IReadOnlySet<string> ActivationTensors(IEnumerable<QdqNodePlan> plans, bool includeOutputs = true)
    {
        var tensors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in plans)
        {
            tensors.UnionWith(p.InputTensors);
            if (includeOutputs)
                tensors.Add(p.OutputTensor);
        }
        return tensors;
    }

    private static QdqNodePlan? PlanConv(NodeProto node, Dictionary<string, TensorProto> inits)
    {
        if (node.Input.Count < 2 || IsInit(inits, node.Input[0]) || !IsFloatInit(inits, node.Input[1], out var w) || w.Dims.Count < 3)
            return null;
        return new QdqNodePlan(node, [0], [], 1, 0, BiasIndex(node, inits, 2, w.Dims[0]), "");
    }

    private static QdqNodePlan? PlanMatMul(NodeProto node, Dictionary<string, TensorProto> inits)
    {
        if (node.Input.Count != 2 || IsInit(inits, node.Input[0]) || !IsFloatInit(inits, node.Input[1], out var w))
            return null;
        // W[K, N]: one scale per output column. Batched weights keep one scale (per-channel on them does not fuse).
        return new QdqNodePlan(node, [0], [], 1, w.Dims.Count == 2 ? 1 : null, null, "");
    }

    private static QdqNodePlan? PlanGemm(NodeProto node, Dictionary<string, TensorProto> inits)
    {
        if (node.Input.Count < 2 || IsInit(inits, node.Input[0]) || !IsFloatInit(inits, node.Input[1], out var w) || w.Dims.Count != 2)
            return null;
        bool transB = (Attributes.Find(node, "transB")?.I ?? 0) != 0;
        long outputs = transB ? w.Dims[0] : w.Dims[1];
        bool unitScales = (Attributes.Find(node, "alpha")?.F ?? 1f) == 1f && (Attributes.Find(node, "beta")?.F ?? 1f) == 1f;
        return new QdqNodePlan(node, [0], [], 1, transB ? 0 : 1, unitScales ? BiasIndex(node, inits, 2, outputs) : null, "");
    }

    private static int? BiasIndex(NodeProto node, Dictionary<string, TensorProto> inits, int index, long channels) =>
        node.Input.Count > index && IsFloatInit(inits, node.Input[index], out var b) && b.Dims.Count == 1 && b.Dims[0] == channels
            ? index
            : null;

    private static string QuantizedOutput(NodeProto node, GraphView view, Dictionary<string, TensorProto> inits)
    {
        var output = node.Output[0];
        if (view.IsGraphOutput(output))
            return output;
        var readers = view.ConsumersOf(output);
        if (readers.Count == 1 && IsRelu(readers[0], inits) && readers[0].Input[0] == output)
            return readers[0].Output[0];
        return output;
    }

    /// <summary>Relu, or a Clip whose lower bound is 0 (Relu6): their output range starts at 0.</summary>
    private static bool IsRelu(NodeProto n, Dictionary<string, TensorProto> inits)
    {
        if (n.Domain.Length > 0) return false;
        if (n.OpType == "Relu") return true;
        if (n.OpType != "Clip") return false;
        if (Attributes.Find(n, "min") is { } minAttribute) // opset < 11
            return minAttribute.F == 0f;
        if (n.Input.Count < 2 || n.Input[1].Length == 0 || !IsFloatInit(inits, n.Input[1], out var min))
            return false;
        var values = TensorData.Read<float>(min);
        return values.Length == 1 && values[0] == 0f;
    }

    private static bool IsInit(Dictionary<string, TensorProto> inits, string name) => inits.ContainsKey(name);

    private static bool IsFloatInit(Dictionary<string, TensorProto> inits, string name, out TensorProto tensor) =>
        inits.TryGetValue(name, out tensor!) && tensor.DataType == (int)TensorProto.Types.DataType.Float;
}
