using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Dynamic;

/// <summary>
/// The run-time quantized form of each float input: one DynamicQuantizeLinear per tensor and graph, shared by all its
/// integer readers in that graph (e.g. the Q, K and V projections of one hidden state). The node goes into the graph of
/// its readers, so a subgraph reading an outer tensor quantizes it itself.
/// </summary>
internal sealed class DynamicInputs
{
    private readonly Dictionary<(GraphEditor Graph, string Tensor), (string Q, string Scale, string ZeroPoint)> _quantized = [];

    public (string Q, string Scale, string ZeroPoint) Of(GraphEditor editor, string tensor)
    {
        if (!_quantized.TryGetValue((editor, tensor), out var x))
        {
            x = (editor.Names.Fresh(tensor + "_quantized"), editor.Names.Fresh(tensor + "_scale"), editor.Names.Fresh(tensor + "_zero_point"));
            editor.AddNode("DynamicQuantizeLinear", [tensor], [x.Q, x.Scale, x.ZeroPoint], tensor + "_DynamicQuantizeLinear");
            _quantized[(editor, tensor)] = x;
        }
        return x;
    }
}
