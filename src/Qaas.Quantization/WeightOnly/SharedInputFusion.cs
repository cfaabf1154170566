using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// Merges MatMulNBits nodes that read the same input with the same K, bits, block size, accuracy level and inputs
/// present (attention's Q, K and V projections) into one node over their concatenated columns, followed by a Split
/// on the last axis. B, scales, zero points and bias are all stored column-major (N first), so concatenating them
/// along their first axis is exact: each output column sees the same weights as before. One larger node quantizes its
/// activation once and keeps ORT's kernel busier than three small ones.
/// </summary>
public static class SharedInputFusion
{
    private const string OpType = "MatMulNBits";
    private static readonly string[] KnownAttributes = ["K", "N", "bits", "block_size", "accuracy_level"];

    /// <summary>Fuses every eligible group; returns how many nodes were merged away.</summary>
    public static int Fuse(GraphEditor editor)
    {
        var graph = editor.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var groups = graph.Node
            .Select(n => (Node: n, Key: KeyOf(n, initializers)))
            .Where(p => p.Key is not null)
            .GroupBy(p => p.Key!, p => p.Node)
            .Where(g => g.Count() > 1)
            .Select(g => g.ToList())
            .ToList();
        int merged = 0;
        foreach (var group in groups)
        {
            FuseGroup(editor, group, initializers);
            merged += group.Count - 1;
        }
        return merged;
    }

    /// <summary>What must agree for two nodes to share one operator; null when the node cannot take part.</summary>
    private static string? KeyOf(NodeProto n, Dictionary<string, TensorProto> initializers)
    {
        if (n.OpType != OpType || n.Domain != MatMulNBitsQuantizer.Domain || n.Input.Count < 3) return null;
        if (n.Attribute.Any(a => Array.IndexOf(KnownAttributes, a.Name) < 0)) return null;
        if (n.Input.Count > 4 && n.Input[4].Length > 0) return null; // g_idx reorders K: leave alone
        // Every weight input must be an in-memory constant of the type this pass concatenates (the quantizer's own nodes
        // are; a MatMulNBits already in the model may hold float16 scales or external data).
        for (int i = 1; i < n.Input.Count; i++)
        {
            if (n.Input[i].Length == 0) continue;
            if (!initializers.TryGetValue(n.Input[i], out var t) || ExternalDataReference.IsExternal(t)) return null;
            var expected = i is 1 or 3 ? TensorProto.Types.DataType.Uint8 : TensorProto.Types.DataType.Float;
            if (t.DataType != (int)expected) return null;
        }
        var scaleRank = initializers[n.Input[2]].Dims.Count;
        return string.Join('|', n.Input[0], Int(n, "K"), Int(n, "bits"), Int(n, "block_size"), Int(n, "accuracy_level"),
            Has(n, 3), Has(n, 5), scaleRank, Has(n, 3) ? initializers[n.Input[3]].Dims.Count : 0);
    }

    private static void FuseGroup(GraphEditor editor, List<NodeProto> group, Dictionary<string, TensorProto> initializers)
    {
        var first = group[0];
        var name = first.Name.Length > 0 ? first.Name + "_fused" : "MatMulNBits_fused";
        var inputs = new List<string>
        {
            first.Input[0],
            Concat<byte>(editor, group, 1, name + "_B", initializers),
            Concat<float>(editor, group, 2, name + "_scales", initializers),
            Has(first, 3) ? Concat<byte>(editor, group, 3, name + "_zero_points", initializers) : "",
            "",
            Has(first, 5) ? Concat<float>(editor, group, 5, name + "_bias", initializers) : "",
        };
        while (inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
        var widths = group.Select(n => Int(n, "N")).ToArray();
        var fused = editor.Names.Fresh(name + "_output");
        editor.AddNode(OpType, inputs, [fused], name, MatMulNBitsQuantizer.Domain,
            Attributes.Int("K", Int(first, "K")), Attributes.Int("N", widths.Sum()), Attributes.Int("bits", Int(first, "bits")),
            Attributes.Int("block_size", Int(first, "block_size")), Attributes.Int("accuracy_level", Int(first, "accuracy_level")));
        var outputs = group.Select(n => n.Output[0]).ToList();
        // Split takes its sizes as an input from opset 13, as an attribute before.
        if (DefaultOpset(editor.Model) >= 13)
            editor.AddNode("Split", [fused, editor.AddInitializer(TensorData.Create<long>(name + "_split", widths, [widths.Length]))],
                outputs, name + "_split", "", Attributes.Int("axis", -1));
        else
            editor.AddNode("Split", [fused], outputs, name + "_split", "", Attributes.Int("axis", -1), Attributes.Ints("split", widths));
        foreach (var n in group) editor.RemoveNode(n);
    }

    /// <summary>The group's tensors at input <paramref name="index"/>, concatenated along their first (column) axis.</summary>
    private static string Concat<T>(GraphEditor editor, List<NodeProto> group, int index, string name,
        Dictionary<string, TensorProto> initializers) where T : unmanaged
    {
        var tensors = group.Select(n => initializers[n.Input[index]]).ToList();
        var dims = tensors[0].Dims.ToArray();
        if (tensors.Any(t => !t.Dims.Skip(1).SequenceEqual(dims.Skip(1))))
            throw new InvalidOperationException($"MatMulNBits input {index} shapes differ past the first axis; cannot concatenate.");
        dims[0] = tensors.Sum(t => t.Dims[0]);
        var values = tensors.SelectMany(t => TensorData.Read<T>(t)).ToArray();
        return editor.AddInitializer(TensorData.Create<T>(name, values, dims));
    }

    private static bool Has(NodeProto n, int index) => n.Input.Count > index && n.Input[index].Length > 0;

    private static long Int(NodeProto n, string attribute) => Attributes.Find(n, attribute)?.I ?? 0;

    private static long DefaultOpset(ModelProto m) =>
        m.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 1;
}
