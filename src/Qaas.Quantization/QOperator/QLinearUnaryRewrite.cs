using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.QOperator;

/// <summary>
/// DQ(x) -> op -> Q  =>  the com.microsoft QLinear op with inputs (x, x_scale, x_zero_point, y_scale, y_zero_point)
/// and the float op's attributes: Sigmoid, LeakyRelu, AveragePool, GlobalAveragePool.
/// </summary>
/// <param name="unsupportedAttributes">Float-op attributes the QLinear op lacks: a pattern that sets one is kept.</param>
internal sealed class QLinearUnaryRewrite(string sourceOp, string target, params string[] unsupportedAttributes) : IQLinearRewrite
{
    public string SourceOp => sourceOp;

    public string? Blocker(QdqPattern pattern, QdqIndex index)
    {
        if (pattern.Inputs.Count != 1)
            return $"it has {pattern.Inputs.Count} inputs";
        var unsupported = pattern.Node.Attribute.FirstOrDefault(a => unsupportedAttributes.Contains(a.Name) && a.Ints.Any(v => v != 1));
        if (unsupported is not null)
            return $"{target} has no '{unsupported.Name}' attribute";
        return QLinearKernels.ActivationBlocker(pattern, pattern.Inputs);
    }

    public QLinearNode Rewrite(QdqPattern pattern, QdqIndex index, GraphEditor editor)
    {
        var x = pattern.Input(0)!;
        var y = pattern.Output;
        return new QLinearNode(target, QLinearNode.MicrosoftDomain, [x.Values, x.Scale, x.ZeroPoint, y.Scale, y.ZeroPoint],
            pattern.Node.Attribute.Where(a => !unsupportedAttributes.Contains(a.Name)).ToList());
    }
}
