using Qaas.Onnx.Proto;

namespace Qaas.Quantization.QOperator;

/// <summary>
/// One float node in canonical QDQ form: DequantizeLinear on its inputs, a QuantizeLinear on its only output
/// (possibly behind a Relu/Clip that the Q's range absorbs).
/// </summary>
/// <param name="Inputs">Per input index: the quantized tensor a DequantizeLinear feeds it from, or null (no DQ, or an empty input).</param>
/// <param name="Output">The quantized output: the Q's output tensor and its scale and zero point.</param>
/// <param name="Quantize">The QuantizeLinear that closes the pattern.</param>
/// <param name="Absorbed">The Relu/Clip between the node and the Q, dropped with it, or null.</param>
/// <param name="Blocker">Why the pattern cannot become a QLinear node whatever its op, or null.</param>
internal sealed record QdqPattern(
    NodeProto Node,
    IReadOnlyList<QuantizedTensor?> Inputs,
    QuantizedTensor Output,
    NodeProto Quantize,
    NodeProto? Absorbed,
    string? Blocker)
{
    /// <summary>The node's name for reports: its name, else its first output (as the static quantizer reports it).</summary>
    public string Name => Node.Name.Length > 0 ? Node.Name : Node.Output[0];

    /// <summary>The quantized input at <paramref name="index"/>, or null when the node has no such input.</summary>
    public QuantizedTensor? Input(int index) => index < Inputs.Count ? Inputs[index] : null;

    /// <summary>Whether the node has a non-empty input at <paramref name="index"/>.</summary>
    public bool Has(int index) => index < Node.Input.Count && Node.Input[index].Length > 0;
}
