using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.QOperator;

/// <summary>DQ(a), DQ(b) -> Add|Mul -> Q  =>  com.microsoft QLinearAdd|QLinearMul (broadcasting as the float op).</summary>
internal sealed class QLinearBinaryRewrite(string sourceOp, string target) : IQLinearRewrite
{
    public string SourceOp => sourceOp;

    public string? Blocker(QdqPattern pattern, QdqIndex index) =>
        QLinearKernels.ActivationBlocker(pattern, [pattern.Input(0), pattern.Input(1)]);

    public QLinearNode Rewrite(QdqPattern pattern, QdqIndex index, GraphEditor editor)
    {
        var a = pattern.Input(0)!;
        var b = pattern.Input(1)!;
        var c = pattern.Output;
        return new QLinearNode(target, QLinearNode.MicrosoftDomain,
            [a.Values, a.Scale, a.ZeroPoint, b.Values, b.Scale, b.ZeroPoint, c.Scale, c.ZeroPoint], []);
    }
}
