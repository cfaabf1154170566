using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Quantization.Static;

/// <summary>
/// Whether raising a model's ONNX opset import leaves every node meaning the same. For each op: the last opset
/// version whose schema broke older nodes (attributes moved to inputs, changed defaults). Raising from v to t is
/// safe when no node's op broke in (v, t]. Ops not listed are treated as unsafe.
/// </summary>
public static class OpsetUpgradeCheck
{
    private static readonly Dictionary<string, int> LastBreakingVersion = new(StringComparer.Ordinal)
    {
        // Attributes became inputs, or semantics changed.
        ["Clip"] = 11, ["Slice"] = 10, ["Pad"] = 11, ["TopK"] = 10, ["Dropout"] = 12, ["Resize"] = 11,
        ["Softmax"] = 13, ["LogSoftmax"] = 13, ["Hardmax"] = 13, ["Squeeze"] = 13, ["Unsqueeze"] = 13,
        ["Split"] = 18, ["ReduceSum"] = 13, ["ReduceMean"] = 18, ["ReduceMax"] = 18, ["ReduceMin"] = 18,
        ["ReduceProd"] = 18, ["ReduceL1"] = 18, ["ReduceL2"] = 18, ["ReduceSumSquare"] = 18, ["ReduceLogSum"] = 18,
        ["ReduceLogSumExp"] = 18, ["BatchNormalization"] = 9, ["Upsample"] = int.MaxValue, ["Scatter"] = int.MaxValue,
        // Broadcast attributes removed at 7; compatible since.
        ["Add"] = 7, ["Sub"] = 7, ["Mul"] = 7, ["Div"] = 7, ["Gemm"] = 7, ["PRelu"] = 7, ["Pow"] = 7, ["Equal"] = 7,
        ["Less"] = 7, ["Greater"] = 7, ["And"] = 7, ["Or"] = 7, ["Xor"] = 7, ["Sum"] = 6, ["Max"] = 6, ["Min"] = 6, ["Mean"] = 6,
        // Compatible extensions only (new types, optional attributes with old defaults) since these versions.
        ["Conv"] = 1, ["ConvTranspose"] = 1, ["MatMul"] = 1, ["Relu"] = 6, ["Sigmoid"] = 6, ["Tanh"] = 6, ["HardSigmoid"] = 6,
        ["HardSwish"] = 14, ["LeakyRelu"] = 6, ["Elu"] = 6, ["Selu"] = 6, ["Softplus"] = 1, ["Softsign"] = 1, ["Exp"] = 6,
        ["Log"] = 6, ["Sqrt"] = 6, ["Neg"] = 6, ["Abs"] = 6, ["Reciprocal"] = 6, ["Floor"] = 6, ["Ceil"] = 6, ["Erf"] = 9,
        ["Not"] = 1, ["Sign"] = 9, ["Round"] = 11, ["Concat"] = 4, ["Reshape"] = 5, ["Flatten"] = 1, ["Transpose"] = 1,
        ["Identity"] = 1, ["Constant"] = 1, ["Shape"] = 1, ["Size"] = 1, ["Gather"] = 1, ["Cast"] = 6, ["Tile"] = 6,
        ["Expand"] = 8, ["Where"] = 9, ["ConstantOfShape"] = 9, ["Range"] = 11, ["NonZero"] = 9, ["MaxPool"] = 1,
        ["AveragePool"] = 1, ["GlobalAveragePool"] = 1, ["GlobalMaxPool"] = 1, ["LRN"] = 1, ["InstanceNormalization"] = 6,
        ["LayerNormalization"] = 17, ["DepthToSpace"] = 1, ["SpaceToDepth"] = 1, ["ArgMax"] = 1, ["ArgMin"] = 1,
        ["GatherElements"] = 11, ["GatherND"] = 11, ["ScatterND"] = 11, ["ScatterElements"] = 11, ["CumSum"] = 11,
        ["Einsum"] = 12, ["QuantizeLinear"] = 10, ["DequantizeLinear"] = 10, ["Mod"] = 10, ["OneHot"] = 9,
    };

    /// <summary>
    /// Nodes whose old form reads the same under the new schema: Clip without min/max attributes (no bounds either
    /// way) and Slice already taking starts/ends as inputs.
    /// </summary>
    private static bool InNewestForm(NodeProto n) => n.OpType switch
    {
        "Clip" => n.Attribute.Count == 0,
        "Slice" => n.Attribute.Count == 0 && n.Input.Count >= 3,
        _ => false,
    };

    /// <summary>The ops (by name) that would change meaning; empty when raising is safe.</summary>
    public static IReadOnlyList<string> Blockers(GraphProto graph, long from, long to)
    {
        var blockers = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var g in Subgraphs.All(graph))
        {
            foreach (var n in g.Node)
            {
                if (n.Domain.Length > 0 && n.Domain != "ai.onnx")
                    continue;
                if (InNewestForm(n))
                    continue;
                if (!LastBreakingVersion.TryGetValue(n.OpType, out var broke) || (broke > from && broke <= to))
                    blockers.Add(n.OpType);
            }
        }
        return blockers.ToList();
    }
}
