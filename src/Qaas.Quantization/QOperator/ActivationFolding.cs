using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.QOperator;

/// <summary>
/// When a Relu or Clip right before a QuantizeLinear can be dropped. Q is monotonic and saturating, so
/// Q(Clip(x, lo, hi)) = Clamp(Q(x), Q(lo), Q(hi)): the clip changes nothing when Q(lo) &lt;= qmin and Q(hi) &gt;= qmax.
/// For Relu (lo 0, no hi) that means a zero point at the type minimum, the rule ONNX Runtime's own fusion uses.
/// </summary>
internal static class ActivationFolding
{
    public static bool IsCandidate(NodeProto node) =>
        Opsets.NormalizeDomain(node.Domain).Length == 0 && node.OpType is "Relu" or "Clip" && node.Output.Count == 1;

    public static bool Folds(NodeProto activation, QuantizedTensor output, QdqIndex index)
    {
        if (Bounds(activation, index) is not var (lo, hi))
            return false;
        return Quantize(lo, output) <= output.QMin && Quantize(hi, output) >= output.QMax;
    }

    private static double Quantize(double value, QuantizedTensor q) =>
        double.IsInfinity(value) ? value : Math.Round(value / q.Scales[0], MidpointRounding.ToEven) + q.ZeroPoints[0];

    /// <summary>The clip bounds, or null when they are not constants.</summary>
    private static (double Lo, double Hi)? Bounds(NodeProto node, QdqIndex index)
    {
        if (node.OpType == "Relu")
            return (0, double.PositiveInfinity);
        // Opset < 11 keeps the bounds in attributes, later opsets in optional inputs.
        double lo = Attributes.Find(node, "min")?.F ?? double.NegativeInfinity;
        double hi = Attributes.Find(node, "max")?.F ?? double.PositiveInfinity;
        for (int i = 1; i <= 2 && i < node.Input.Count; i++)
        {
            if (node.Input[i].Length == 0)
                continue;
            if (index.Initializer(node.Input[i]) is not { } bound || TensorData.ReadAsFloat(bound) is not [var value])
                return null;
            if (i == 1) lo = value; else hi = value;
        }
        return (lo, hi);
    }
}
