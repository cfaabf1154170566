using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Dynamic;

/// <summary>
/// The run-time quantized form of each float input: one DynamicQuantizeLinear per tensor, shared by all its integer
/// readers (e.g. the Q, K and V projections of one hidden state).
/// </summary>
internal sealed class DynamicInputs(GraphEditor editor)
{
    private readonly Dictionary<string, (string Q, string Scale, string ZeroPoint)> _quantized = new(StringComparer.Ordinal);

    public (string Q, string Scale, string ZeroPoint) Of(string tensor)
    {
        if (!_quantized.TryGetValue(tensor, out var x))
        {
            x = (editor.Names.Fresh(tensor + "_quantized"), editor.Names.Fresh(tensor + "_scale"), editor.Names.Fresh(tensor + "_zero_point"));
            editor.AddNode("DynamicQuantizeLinear", [tensor], [x.Q, x.Scale, x.ZeroPoint], tensor + "_DynamicQuantizeLinear");
            _quantized[tensor] = x;
        }
        return x;
    }
}
