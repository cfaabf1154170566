using Qaas.Onnx.Proto;

namespace Qaas.Quantization.QOperator;

/// <summary>A QLinear node to add in place of a QDQ pattern (its output is the pattern's quantized output).</summary>
internal sealed record QLinearNode(string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<AttributeProto> Attributes)
{
    public const string MicrosoftDomain = "com.microsoft";
}
