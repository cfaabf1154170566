using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Graph pass for the "cross-layer-equalization" transform: finds Conv -> [Relu] -> Conv chains whose middle tensors
/// have no other reader and equalizes each pair (<see cref="CrossLayerEqualization"/>), sweeping the whole chain a few
/// times so a layer between two pairs settles between both. Clip/Relu6 and HardSwish are not positively homogeneous
/// and end a chain. Run after BatchNorm folding.
/// </summary>
public static class ConvPairEqualizer
{
    private const int Sweeps = 8;

    /// <returns>How many Conv pairs were equalized.</returns>
    public static int Apply(ModelProto model)
    {
        var editor = new GraphEditor(model);
        editor.PromoteConstantsToInitializers();
        var view = new GraphView(model.Graph);
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        // Only weights and biases no other node (nor a subgraph) reads can be rescaled.
        foreach (var name in initializers.Keys.Where(n => view.ConsumersOf(n).Count != 1 || view.IsGraphInput(n)).ToList())
            initializers.Remove(name);
        var pairs = model.Graph.Node.Select(n => Pair(n, view, initializers)).OfType<(NodeProto First, NodeProto Second)>().ToList();
        if (pairs.Count == 0)
            return 0;

        // Every weight and bias involved, as float arrays edited in place, written back once as new initializers
        // (the old ones may be shared with nodes outside the pairs).
        var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        float[] Values(string name) => values.TryGetValue(name, out var v) ? v : values[name] = TensorData.Read<float>(initializers[name]);
        var convs = pairs.SelectMany(p => new[] { p.First, p.Second }).Distinct().ToList();
        foreach (var conv in pairs.Select(p => p.First).Distinct().Where(c => c.Input.Count < 3 || c.Input[2].Length == 0))
        {
            var name = ConvBias.Ensure(editor, conv); // a bias to scale
            initializers[name] = editor.FindInitializer(name)!;
        }
        for (int sweep = 0; sweep < Sweeps; sweep++)
        {
            double largest = 0;
            foreach (var (first, second) in pairs)
            {
                var w2 = initializers[second.Input[1]];
                largest = Math.Max(largest, CrossLayerEqualization.Equalize(Values(first.Input[1]), Values(first.Input[2]),
                    Values(second.Input[1]), (int)initializers[first.Input[1]].Dims[0], (int)w2.Dims[0],
                    (int)(Attributes.Find(second, "group")?.I ?? 1)));
            }
            if (largest < 1e-3)
                break;
        }
        foreach (var conv in convs)
            for (int input = 1; input < Math.Min(3, conv.Input.Count); input++)
            {
                if (!initializers.TryGetValue(conv.Input[input], out var old))
                    continue;
                if (values.TryGetValue(old.Name, out var scaled)) // the last Conv of a chain keeps its bias
                    conv.Input[input] = editor.AddInitializer(TensorData.Create<float>(old.Name + "_equalized", scaled, old.Dims.ToArray()));
            }
        editor.RemoveUnusedInitializers();
        return pairs.Count;
    }

    /// <summary>conv -> [Relu] -> Conv with float initializer weights and matching channels, or null.</summary>
    private static (NodeProto, NodeProto)? Pair(NodeProto first, GraphView view, Dictionary<string, TensorProto> initializers)
    {
        if (!IsPlainConv(first, initializers))
            return null;
        var tensor = first.Output[0];
        for (int hops = 0; hops < 2; hops++)
        {
            if (view.IsGraphOutput(tensor) || view.ConsumersOf(tensor) is not [var next])
                return null;
            if (next.OpType == "Relu" && next.Domain.Length == 0 && hops == 0)
            {
                tensor = next.Output[0];
                continue;
            }
            if (!IsPlainConv(next, initializers) || next.Input[0] != tensor)
                return null;
            long group = Attributes.Find(next, "group")?.I ?? 1;
            long channels = initializers[first.Input[1]].Dims[0];
            return initializers[next.Input[1]].Dims[1] * group == channels ? (first, next) : null;
        }
        return null;
    }

    private static bool IsPlainConv(NodeProto n, Dictionary<string, TensorProto> initializers) =>
        n.OpType == "Conv" && n.Domain.Length == 0 && n.Input.Count >= 2
        && initializers.TryGetValue(n.Input[1], out var w) && w.DataType == (int)DT.Float && w.Dims.Count >= 3
        && (n.Input.Count < 3 || n.Input[2].Length == 0
            || (initializers.TryGetValue(n.Input[2], out var b) && b.DataType == (int)DT.Float && b.Dims.Count == 1));
}
