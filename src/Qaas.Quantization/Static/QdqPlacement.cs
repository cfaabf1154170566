using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Float16;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Static;

/// <summary>
/// Decides the Q/DQ placement ONNX Runtime fuses into integer kernels: DQ on every data input, quantized weights and
/// int32 biases for Conv/MatMul/Gemm, quantized constant operands for Add/Mul, and a Q on the output, moved past a
/// Relu/Clip(min 0) when that is the only reader so the activation folds into the Q (ORT drops it when the Q's range
/// lies inside the activation's). A tensor between two planned nodes gets one Q whose DQ both read.
/// </summary>
public static class QdqPlacement
{
    /// <param name="keepFloat">Weighted nodes to leave in fp32 (by report name); the elementwise ops between them and
    /// the next weighted node stay float too, so the kept node reads and writes unquantized tensors.</param>
    public static IReadOnlyList<QdqNodePlan> Plan(GraphProto graph, IEnumerable<NodeProto> selected, IReadOnlySet<string>? keepFloat = null)
    {
        var view = new GraphView(graph);
        var types = new ElementTypeMap(graph, view.TopologicalOrder());
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var plans = new List<QdqNodePlan>();
        foreach (var node in selected)
        {
            var plan = QdqOps.RoleOf(node.OpType) switch
            {
                QdqRole.Weighted => PlanWeighted(node, initializers),
                QdqRole.Elementwise or QdqRole.SharedParams => PlanDataOp(node, view, types, initializers),
                _ => null,
            };
            if (plan is null)
                continue;
            var output = plan.OutputSharesInputParams ? node.Output[0] : QuantizedOutput(node, view, initializers);
            plans.Add(plan with { OutputTensor = output });
        }
        if (keepFloat is { Count: > 0 })
            plans = WithoutFloatRegions(plans, view, keepFloat);
        return Connected(plans, view);
    }

    /// <summary>
    /// Drops the kept weighted plans and, until none is left, every other non-weighted plan that reads a float-kept
    /// node's output or feeds one: the float region grows across elementwise ops up to the next weighted nodes.
    /// </summary>
    private static List<QdqNodePlan> WithoutFloatRegions(List<QdqNodePlan> plans, GraphView view, IReadOnlySet<string> keepFloat)
    {
        var floatNodes = plans.Where(p => keepFloat.Contains(StaticQdqQuantizer.ReportName(p.Node))).Select(p => p.Node).ToHashSet();
        var kept = plans.Where(p => !floatNodes.Contains(p.Node)).ToList();
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (var p in kept.Where(p => p.Role != QdqRole.Weighted && !floatNodes.Contains(p.Node)).ToList())
            {
                bool readsFloat = p.InputTensors.Any(t => view.ProducerOf(t) is { } producer && floatNodes.Contains(producer));
                bool feedsFloat = p.Node.Output.Concat([p.OutputTensor]).Any(t => view.ConsumersOf(t).Any(floatNodes.Contains));
                if (readsFloat || feedsFloat)
                {
                    floatNodes.Add(p.Node);
                    changed = true;
                }
            }
        }
        return kept.Where(p => !floatNodes.Contains(p.Node)).ToList();
    }

    /// <summary>
    /// Drops, until none is left, elementwise and shared-parameter plans with no planned neighbour (producer of an input,
    /// reader of the output): between float ops they would only add a Q and a DQ pass and rounding error (a bias Add
    /// after a float ConvTranspose, say). Weighted plans always stay.
    /// </summary>
    private static List<QdqNodePlan> Connected(List<QdqNodePlan> plans, GraphView view)
    {
        var kept = plans.ToHashSet();
        bool changed = true;
        while (changed)
        {
            changed = false;
            var planned = kept.Select(p => p.Node).ToHashSet();
            foreach (var p in kept.Where(p => p.Role != QdqRole.Weighted).ToList())
            {
                bool fedByPlan = p.InputTensors.Any(t => view.ProducerOf(t) is { } producer && planned.Contains(producer));
                bool feedsPlan = p.Node.Output.Concat([p.OutputTensor])
                    .Any(t => view.ConsumersOf(t).Any(planned.Contains));
                if (!fedByPlan && !feedsPlan)
                {
                    kept.Remove(p);
                    changed = true;
                }
            }
        }
        return plans.Where(kept.Contains).ToList();
    }

    /// <summary>Every activation tensor whose range calibration must observe: inputs, and outputs not tied to an input's params.</summary>
    /// <param name="includeOutputs">False when only the inputs get Q/DQ (float8, which has no fused kernels).</param>
    public static IReadOnlySet<string> ActivationTensors(IEnumerable<QdqNodePlan> plans, bool includeOutputs = true)
    {
        var tensors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in plans)
        {
            tensors.UnionWith(p.InputTensors);
            if (includeOutputs && !p.OutputSharesInputParams)
                tensors.Add(p.OutputTensor);
        }
        return tensors;
    }

    private static QdqNodePlan? PlanWeighted(NodeProto node, Dictionary<string, TensorProto> inits) => node.OpType switch
    {
        "Conv" => PlanConv(node, inits),
        "MatMul" => PlanMatMul(node, inits),
        "Gemm" => PlanGemm(node, inits),
        "ConvTranspose" => PlanConvTranspose(node, inits),
        _ => null,
    };

    /// <summary>
    /// Elementwise and shared-parameter ops: every data input a float tensor, at least one of them computed (a node of
    /// constants only is folded by ORT instead). A node writing a graph output is left alone: the output stays exact.
    /// </summary>
    private static QdqNodePlan? PlanDataOp(NodeProto node, GraphView view, ElementTypeMap types, Dictionary<string, TensorProto> inits)
    {
        if (node.Output.Count == 0 || view.IsGraphOutput(node.Output[0]) || types.Of(node.Output[0]) != (int)DT.Float)
            return null;
        var role = QdqOps.RoleOf(node.OpType)!.Value;
        var indexes = QdqOps.DataInputs(node.OpType) ?? Enumerable.Range(0, node.Input.Count).ToArray();
        var activations = new List<string>();
        var constants = new List<int>();
        foreach (var i in indexes)
        {
            if (i >= node.Input.Count || node.Input[i].Length == 0 || types.Of(node.Input[i]) != (int)DT.Float)
                return null;
            if (inits.ContainsKey(node.Input[i]))
                constants.Add(i);
            else
                activations.Add(node.Input[i]);
        }
        if (activations.Count == 0 || (role == QdqRole.SharedParams && constants.Count > 0))
            return null;
        return new QdqNodePlan(node, role, activations, constants, null, null, null, "", role == QdqRole.SharedParams);
    }

    private static QdqNodePlan? PlanConv(NodeProto node, Dictionary<string, TensorProto> inits)
    {
        if (node.Input.Count < 2 || IsInit(inits, node.Input[0]) || !IsFloatInit(inits, node.Input[1], out var w) || w.Dims.Count < 3)
            return null;
        return Weighted(node, 0, BiasIndex(node, inits, 2, w.Dims[0]));
    }

    /// <summary>W[C_in, C_out / group, k...]: output channels lie on axis 1, so per-channel scales only fit group 1.</summary>
    private static QdqNodePlan? PlanConvTranspose(NodeProto node, Dictionary<string, TensorProto> inits)
    {
        if (node.Input.Count < 2 || IsInit(inits, node.Input[0]) || !IsFloatInit(inits, node.Input[1], out var w) || w.Dims.Count < 3)
            return null;
        bool grouped = (Attributes.Find(node, "group")?.I ?? 1) != 1;
        return Weighted(node, grouped ? null : 1, grouped ? null : BiasIndex(node, inits, 2, w.Dims[1]));
    }

    private static QdqNodePlan? PlanMatMul(NodeProto node, Dictionary<string, TensorProto> inits)
    {
        if (node.Input.Count != 2 || IsInit(inits, node.Input[0]) || !IsFloatInit(inits, node.Input[1], out var w))
            return null;
        // W[K, N]: one scale per output column. Batched weights keep one scale (per-channel on them does not fuse).
        return Weighted(node, w.Dims.Count == 2 ? 1 : null, null);
    }

    private static QdqNodePlan? PlanGemm(NodeProto node, Dictionary<string, TensorProto> inits)
    {
        if (node.Input.Count < 2 || IsInit(inits, node.Input[0]) || !IsFloatInit(inits, node.Input[1], out var w) || w.Dims.Count != 2)
            return null;
        bool transB = (Attributes.Find(node, "transB")?.I ?? 0) != 0;
        long outputs = transB ? w.Dims[0] : w.Dims[1];
        bool unitScales = (Attributes.Find(node, "alpha")?.F ?? 1f) == 1f && (Attributes.Find(node, "beta")?.F ?? 1f) == 1f;
        return Weighted(node, transB ? 0 : 1, unitScales ? BiasIndex(node, inits, 2, outputs) : null);
    }

    private static QdqNodePlan Weighted(NodeProto node, int? axis, int? bias) =>
        new(node, QdqRole.Weighted, [node.Input[0]], [], 1, axis, bias, "", false);

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
