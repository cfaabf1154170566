using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.QOperator;

/// <summary>
/// DQ(a), DQ(b)[, DQ(int32 c)] -> Gemm -> Q  =>  com.microsoft QGemm (ONNX has no quantized Gemm); b per tensor or
/// per output column, c in the scale a_scale * b_scale. Only alpha = beta = 1, as the static quantizer emits it.
/// </summary>
internal sealed class QGemmRewrite : IQLinearRewrite
{
    public string SourceOp => "Gemm";

    public string? Blocker(QdqPattern pattern, QdqIndex index)
    {
        if (QLinearKernels.ActivationBlocker(pattern, [pattern.Input(0)]) is { } activation)
            return activation;
        if (pattern.Input(1) is not { } b)
            return "its weight is not dequantized from an integer tensor";
        var a = pattern.Input(0)!;
        if (!QLinearKernels.RunsProduct(a, b))
            return $"ONNX Runtime has no QGemm for {a.TypeName} inputs with {b.TypeName} weights";
        if ((Attributes.Find(pattern.Node, "alpha")?.F ?? 1f) != 1f || (pattern.Has(2) && (Attributes.Find(pattern.Node, "beta")?.F ?? 1f) != 1f))
            return "its alpha or beta is not 1";
        long columns = (Attributes.Find(pattern.Node, "transB")?.I ?? 0) != 0 ? 0 : 1;
        if (!b.PerTensor && (b.Dims is not { Length: 2 } || b.Axis != columns))
            return "its weight is quantized per channel on an axis other than the output columns";
        return Int32Bias.Blocker(pattern, 2, b);
    }

    public QLinearNode Rewrite(QdqPattern pattern, QdqIndex index, GraphEditor editor)
    {
        var a = pattern.Input(0)!;
        var b = pattern.Input(1)!;
        var y = pattern.Output;
        var c = pattern.Has(2) ? Int32Bias.Input(pattern, 2, a, b, index, editor) : "";
        var attributes = pattern.Node.Attribute.Where(t => t.Name is "transA" or "transB").ToList();
        return new QLinearNode("QGemm", QLinearNode.MicrosoftDomain,
            [a.Values, a.Scale, a.ZeroPoint, b.Values, b.Scale, b.ZeroPoint, c, y.Scale, y.ZeroPoint], attributes);
    }
}
