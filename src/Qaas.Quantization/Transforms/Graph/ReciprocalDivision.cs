using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Div(x, c) with c a float initializer without zeros becomes Mul(x, 1/c): ONNX Runtime has an integer Mul
/// (QLinearMul) but no integer Div, so the hard-swish "/ 6" of MobileNetV3-style exports would otherwise stay a
/// float island between two Q/DQ pairs. The product differs from the quotient by at most one float rounding.
/// </summary>
public static class ReciprocalDivision
{
    /// <param name="source">The model external initializer data is read from.</param>
    /// <returns>How many of <paramref name="nodes"/> were rewritten (the node objects are edited in place).</returns>
    public static int Apply(GraphEditor editor, IEnumerable<NodeProto> nodes, Onnx.Io.OnnxModel? source = null)
    {
        int rewritten = 0;
        foreach (var node in nodes.Where(n => n.OpType == "Div" && n.Domain.Length == 0 && n.Input.Count == 2))
        {
            var divisor = editor.FindInitializer(node.Input[1]);
            if (divisor is null || divisor.DataType != (int)DT.Float)
                continue;
            var values = TensorData.Read<float>(divisor, source);
            if (values.Any(v => v == 0f || !float.IsFinite(v)))
                continue;
            var reciprocal = values.Select(v => 1f / v).ToArray();
            node.Input[1] = editor.AddInitializer(TensorData.Create<float>(node.Input[1] + "_reciprocal", reciprocal, divisor.Dims.ToArray()));
            node.OpType = "Mul";
            rewritten++;
        }
        return rewritten;
    }
}
