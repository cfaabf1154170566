using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.QOperator;

/// <summary>DQ(x), DQ(w)[, DQ(int32 bias)] -> Conv -> Q  =>  QLinearConv (ONNX, opset 10), per-channel weights on axis 0.</summary>
internal sealed class QLinearConvRewrite : IQLinearRewrite
{
    public string SourceOp => "Conv";

    public string? Blocker(QdqPattern pattern, QdqIndex index)
    {
        if (QLinearKernels.ActivationBlocker(pattern, [pattern.Input(0)]) is { } activation)
            return activation;
        if (pattern.Input(1) is not { } w)
            return "its weight is not dequantized from an integer tensor";
        var x = pattern.Input(0)!;
        if (!QLinearKernels.RunsProduct(x, w))
            return $"ONNX Runtime has no QLinearConv for {x.TypeName} activations with {w.TypeName} weights";
        if (!w.PerTensor && w.Axis != 0)
            return $"its weight is quantized along axis {w.Axis}, not the output channels";
        return Int32Bias.Blocker(pattern, 2, w);
    }

    public QLinearNode Rewrite(QdqPattern pattern, QdqIndex index, GraphEditor editor)
    {
        var x = pattern.Input(0)!;
        var w = pattern.Input(1)!;
        var y = pattern.Output;
        var inputs = new List<string> { x.Values, x.Scale, x.ZeroPoint, w.Values, w.Scale, w.ZeroPoint, y.Scale, y.ZeroPoint };
        if (pattern.Has(2))
            inputs.Add(Int32Bias.Input(pattern, 2, x, w, index, editor));
        return new QLinearNode("QLinearConv", "", inputs, pattern.Node.Attribute.ToList());
    }
}
