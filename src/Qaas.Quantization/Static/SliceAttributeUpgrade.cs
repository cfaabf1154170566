using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Static;

/// <summary>
/// Rewrites opset-1 Slice nodes (starts/ends/axes attributes) into the opset-10 form (the same values as int64
/// initializer inputs), so a model's opset can be raised to 10 without changing what they compute.
/// </summary>
public static class SliceAttributeUpgrade
{
    /// <returns>How many Slice nodes were rewritten.</returns>
    public static int Apply(GraphEditor editor)
    {
        int rewritten = 0;
        foreach (var node in editor.Graph.Node)
        {
            if (node.OpType != "Slice" || (node.Domain.Length > 0 && node.Domain != "ai.onnx") || node.Input.Count != 1)
                continue;
            var starts = Attributes.Find(node, "starts");
            var ends = Attributes.Find(node, "ends");
            if (starts is null || ends is null)
                continue;
            var axes = Attributes.Find(node, "axes");
            var name = node.Name.Length > 0 ? node.Name : node.Output[0];
            node.Input.Add(Add(editor, name + "_starts", starts.Ints));
            node.Input.Add(Add(editor, name + "_ends", ends.Ints));
            if (axes is not null)
                node.Input.Add(Add(editor, name + "_axes", axes.Ints));
            node.Attribute.Clear();
            rewritten++;
        }
        return rewritten;
    }

    private static string Add(GraphEditor editor, string name, IEnumerable<long> values)
    {
        var array = values.ToArray();
        return editor.AddInitializer(TensorData.Create<long>(name, array, [array.Length]));
    }
}
