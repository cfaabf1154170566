using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Float16;

/// <summary>
/// Which inputs and outputs of an ONNX op share its float type parameter T, and whether the op is safe to run in
/// 16-bit floats. Ops not listed stay in float32 (the block-list is everything off the allow-list): reductions,
/// normalizations, Softmax, Exp/Log/Pow, Range, Resize, random generators, custom domains, control flow.
/// </summary>
internal sealed record OpTyping(int[]? TInputs, int[]? TOutputs, bool Float16Safe)
{
    private static readonly int[] First = [0];

    // null = every position.
    private static readonly Dictionary<string, OpTyping> Table = Build();

    public static OpTyping? Of(NodeProto node) =>
        node.Domain is "" or "ai.onnx" && Table.TryGetValue(node.OpType, out var t) && !TrainingBatchNorm(node) ? t : null;

    // Training-mode BatchNormalization also outputs the running statistics, which would follow T too: it stays float32.
    private static bool TrainingBatchNorm(NodeProto node) =>
        node.OpType == "BatchNormalization" && node.Output.Skip(1).Any(o => o.Length > 0);

    public bool IsTInput(int index) => TInputs is null || Array.IndexOf(TInputs, index) >= 0;
    public bool IsTOutput(int index) => TOutputs is null || Array.IndexOf(TOutputs, index) >= 0;

    /// <summary>The element type of output <paramref name="index"/> when it does not follow T (0 = unknown / follows T).</summary>
    public static int FixedOutputType(NodeProto node, int index, Func<string, int> typeOf)
    {
        if (node.Domain is not ("" or "ai.onnx")) return 0;
        switch (node.OpType)
        {
            case "Shape" or "Size" or "NonZero" or "ArgMax" or "ArgMin" or "NonMaxSuppression": return (int)DT.Int64;
            case "Equal" or "Greater" or "Less" or "GreaterOrEqual" or "LessOrEqual" or "Not" or "And" or "Or" or "Xor"
                or "IsNaN" or "IsInf": return (int)DT.Bool;
            case "Cast": return (int)(Attributes.Find(node, "to")?.I ?? 0);
            case "CastLike": return node.Input.Count > 1 ? typeOf(node.Input[1]) : 0;
            case "ConstantOfShape": return Attributes.Find(node, "value")?.T?.DataType ?? (int)DT.Float;
            case "Constant": return ConstantNode.ValueOf(node)?.DataType ?? 0;
            case "DequantizeLinear":
                return Attributes.Find(node, "output_dtype") is { I: > 0 } d ? (int)d.I : node.Input.Count > 1 ? typeOf(node.Input[1]) : 0;
            case "QuantizeLinear":
                return node.Input.Count > 2 && node.Input[2].Length > 0 ? typeOf(node.Input[2]) : (int)DT.Uint8;
            case "DynamicQuantizeLinear": return index == 1 ? (int)DT.Float : (int)DT.Uint8;
            case "MatMulInteger" or "ConvInteger": return (int)DT.Int32;
            case "TopK" or "MaxPool" when index == 1: return (int)DT.Int64;
            case "Dropout" when index == 1: return (int)DT.Bool;
            case "LayerNormalization" when index > 0: return (int)DT.Float;
            case "RandomNormal" or "RandomUniform" or "EyeLike" or "RandomNormalLike" or "RandomUniformLike":
                return Attributes.Find(node, "dtype") is { } dtype ? (int)dtype.I
                    : node.OpType.EndsWith("Like") && node.Input.Count > 0 ? typeOf(node.Input[0]) : (int)DT.Float;
            default: return 0;
        }
    }

    private static Dictionary<string, OpTyping> Build()
    {
        var t = new Dictionary<string, OpTyping>(StringComparer.Ordinal);
        void Safe(OpTyping typing, params string[] ops) { foreach (var op in ops) t[op] = typing; }

        // Run in 16-bit: elementwise math, linear algebra, data movement, pooling.
        Safe(new OpTyping(null, null, true),
            "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Abs", "Neg", "Relu", "LeakyRelu", "Elu", "Selu",
            "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign",
            "Clip", "Identity", "PRelu", "Softplus", "Softsign", "Mish", "Sin", "Cos", "Gelu", "MatMul", "Gemm", "Conv",
            "ConvTranspose", "Concat", "Transpose", "Flatten", "DepthToSpace", "SpaceToDepth", "GlobalAveragePool",
            "GlobalMaxPool", "AveragePool", "Split");
        Safe(new OpTyping(First, First, true),
            "MaxPool", "Reshape", "Squeeze", "Unsqueeze", "Slice", "Gather", "GatherElements", "GatherND", "Expand", "Tile",
            "Dropout");
        Safe(new OpTyping([0, 2], First, true), "Pad");
        // Inference-mode BatchNormalization: a per-channel affine map (its training outputs are not used).
        Safe(new OpTyping(null, First, true), "BatchNormalization");
        Safe(new OpTyping([1, 2], First, true), "Where");

        // Kept in float32 (overflow, cancellation or accumulation in 16 bits), typed so the rest of the graph can be followed.
        Safe(new OpTyping(First, First, false),
            "Softmax", "LogSoftmax", "Exp", "Log", "Pow", "Resize", "Upsample", "CumSum", "TopK", "Trilu",
            "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
            "ReduceLogSumExp", "ReduceSumSquare", "InstanceNormalization", "LpNormalization",
            "MeanVarianceNormalization");
        Safe(new OpTyping([0, 1, 2], First, false), "LayerNormalization");
        Safe(new OpTyping(null, null, false), "Range");
        return t;
    }
}
