using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Mul(Mul(x, a), b) with scalar constants a and b, the inner product read only by the outer Mul, becomes Mul(x, a*b):
/// PP-LCNetV3's hard-swish "/ 6" (a Mul after <see cref="ReciprocalDivision"/>) followed by its learnable scale is one
/// integer pass instead of two. The result differs by at most one float rounding.
/// </summary>
public static class ScalarMulChain
{
    /// <returns>The Mul nodes removed (their readers now multiply by the product).</returns>
    public static IReadOnlyList<NodeProto> Apply(GraphEditor editor, IEnumerable<NodeProto> nodes, Onnx.Io.OnnxModel? source = null)
    {
        var removed = new List<NodeProto>();
        var view = new GraphView(editor.Graph);
        var candidates = nodes.Where(IsPlainMul).ToHashSet();
        foreach (var outer in candidates.ToList())
        {
            if (removed.Contains(outer) || ScalarOperand.Of(editor, outer, source) is not (var outerIndex, var b))
                continue;
            var inner = view.ProducerOf(outer.Input[1 - outerIndex]);
            if (inner is null || !candidates.Contains(inner) || removed.Contains(inner) || view.IsGraphOutput(inner.Output[0])
                || view.ConsumersOf(inner.Output[0]).Count != 1 || ScalarOperand.Of(editor, inner, source) is not (var innerIndex, var a))
                continue;
            var product = editor.AddInitializer(TensorData.Create<float>(outer.Input[outerIndex] + "_times_" + inner.Input[innerIndex], [a * b], []));
            outer.Input[1 - outerIndex] = inner.Input[1 - innerIndex];
            outer.Input[outerIndex] = product;
            editor.RemoveNode(inner);
            removed.Add(inner);
        }
        return removed;
    }

    private static bool IsPlainMul(NodeProto n) => n.OpType == "Mul" && n.Domain.Length == 0 && n.Input.Count == 2;
}
