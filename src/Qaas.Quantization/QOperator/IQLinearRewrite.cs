using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.QOperator;

/// <summary>Turns one op type's QDQ pattern into a QLinear node that reads and writes the integer tensors directly.</summary>
internal interface IQLinearRewrite
{
    /// <summary>The float op this rewrite replaces (ONNX domain).</summary>
    string SourceOp { get; }

    /// <summary>Why <paramref name="pattern"/> cannot be rewritten (in words for the report), or null when it can.</summary>
    string? Blocker(QdqPattern pattern, QdqIndex index);

    /// <summary>The replacement; it writes the pattern's Q output. May add initializers (a requantized bias).</summary>
    QLinearNode Rewrite(QdqPattern pattern, QdqIndex index, GraphEditor editor);
}
