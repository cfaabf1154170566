using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.QOperator;

/// <summary>DQ(a), DQ(b) -> MatMul -> Q  =>  QLinearMatMul (ONNX, opset 10); b per tensor or per column of a 2-D weight.</summary>
internal sealed class QLinearMatMulRewrite : IQLinearRewrite
{
    public string SourceOp => "MatMul";

    public string? Blocker(QdqPattern pattern, QdqIndex index)
    {
        if (QLinearKernels.ActivationBlocker(pattern, [pattern.Input(0)]) is { } activation)
            return activation;
        if (pattern.Input(1) is not { } b)
            return "its second input is not dequantized from an integer tensor";
        var a = pattern.Input(0)!;
        if (!QLinearKernels.RunsProduct(a, b))
            return $"ONNX Runtime has no QLinearMatMul for {a.TypeName} inputs with {b.TypeName} weights";
        if (!b.PerTensor && (b.Dims is not { Length: 2 } || b.Axis != 1))
            return "its weight is quantized per channel on an axis other than the columns of a 2-D matrix";
        return null;
    }

    public QLinearNode Rewrite(QdqPattern pattern, QdqIndex index, GraphEditor editor)
    {
        var a = pattern.Input(0)!;
        var b = pattern.Input(1)!;
        var y = pattern.Output;
        return new QLinearNode("QLinearMatMul", "", [a.Values, a.Scale, a.ZeroPoint, b.Values, b.Scale, b.ZeroPoint, y.Scale, y.ZeroPoint], []);
    }
}
