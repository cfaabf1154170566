using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Formats;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Float16;

/// <summary>
/// bfloat16 as a storage format: ONNX Runtime's CPU provider has almost no bfloat16 kernels, so large float32
/// constants are stored as bfloat16 and a Cast back to float32 re-creates each one under its original name; the graph
/// computes in float32 on the rounded weights (simulated bf16 weights, half the bytes).
/// </summary>
internal static class BFloat16WeightStorage
{
    // Small constants (epsilons, scales, shape-like floats) keep float32: no size to win, precision to lose.
    public const int MinElements = 1024;

    /// <returns>The names of the constants now stored as bfloat16.</returns>
    public static IReadOnlyList<string> Apply(ModelProto model, OnnxModel? source, CancellationToken ct)
    {
        var editor = new GraphEditor(model);
        var graph = model.Graph;
        var inputs = new HashSet<string>(graph.Input.Select(i => i.Name), StringComparer.Ordinal);
        var converted = new List<string>();
        foreach (var t in graph.Initializer.ToList())
        {
            ct.ThrowIfCancellationRequested();
            if (inputs.Contains(t.Name) || !IsLargeFloat(t)) continue;
            var stored = ToBFloat16(t, editor.Names.Fresh(t.Name + "_bf16"), source);
            graph.Initializer.Remove(t);
            graph.Initializer.Add(stored);
            AddCast(editor, stored.Name, t.Name);
            converted.Add(t.Name);
        }
        foreach (var node in graph.Node.ToList())
        {
            ct.ThrowIfCancellationRequested();
            if (!ConstantNode.Is(node) || node.Output.Count != 1 || node.Attribute.Count != 1 || node.Attribute[0].Name != "value") continue;
            var t = node.Attribute[0].T;
            if (!IsLargeFloat(t)) continue;
            var name = node.Output[0];
            node.Output[0] = editor.Names.Fresh(name + "_bf16");
            node.Attribute[0].T = ToBFloat16(t, t.Name, source);
            AddCast(editor, node.Output[0], name);
            converted.Add(name);
        }
        if (converted.Count > 0) editor.SortTopologically();
        return converted;
    }

    private static bool IsLargeFloat(TensorProto t) =>
        t.DataType == (int)DT.Float && (TensorLayout.ElementCount(t) ?? 0) >= MinElements;

    private static TensorProto ToBFloat16(TensorProto t, string name, OnnxModel? source)
    {
        var values = TensorData.ReadAsFloat(t, source);
        var bits = new ushort[values.Length];
        BFloat16Conversion.ToBits(values, bits);
        return TensorData.Create<ushort>(name, bits, t.Dims.ToArray(), (int)DT.Bfloat16);
    }

    private static void AddCast(GraphEditor editor, string from, string to) =>
        editor.AddNode("Cast", [from], [to], to + "_from_bf16", "", Attributes.Int("to", (long)DT.Float));
}
