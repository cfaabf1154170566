using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.QOperator;

/// <summary>DQ(x1..xn) -> Concat -> Q  =>  com.microsoft QLinearConcat (inputs requantized to the output's scale).</summary>
internal sealed class QLinearConcatRewrite : IQLinearRewrite
{
    public string SourceOp => "Concat";

    public string? Blocker(QdqPattern pattern, QdqIndex index) => QLinearKernels.ActivationBlocker(pattern, pattern.Inputs);

    public QLinearNode Rewrite(QdqPattern pattern, QdqIndex index, GraphEditor editor)
    {
        var inputs = new List<string> { pattern.Output.Scale, pattern.Output.ZeroPoint };
        foreach (var x in pattern.Inputs)
            inputs.AddRange([x!.Values, x.Scale, x.ZeroPoint]);
        return new QLinearNode("QLinearConcat", QLinearNode.MicrosoftDomain, inputs, pattern.Node.Attribute.ToList());
    }
}
