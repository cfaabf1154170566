using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Evaluation;

/// <summary>
/// Guesses how many token ids an integer input accepts: the rows of the embedding table it indexes, i.e. the
/// smallest dim 0 among constant tables of axis-0 Gathers fed by the input (directly or through a few
/// shape-only ops). Null when no such Gather exists.
/// </summary>
public static class VocabularyInference
{
    private static readonly HashSet<string> PassThrough = new(StringComparer.Ordinal)
        { "Cast", "Identity", "Unsqueeze", "Squeeze", "Reshape", "Flatten" };

    public static long? Of(ModelProto model, string inputName)
    {
        var view = new GraphView(model.Graph);
        var tables = ModelWeights.All(model.Graph).Where(w => w.GraphPath.Length == 0)
            .GroupBy(w => w.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Tensor, StringComparer.Ordinal);
        long? rows = null;
        var frontier = new List<string> { inputName };
        for (var hop = 0; hop < 4 && frontier.Count > 0; hop++)
        {
            var next = new List<string>();
            foreach (var tensor in frontier)
                foreach (var node in view.ConsumersOf(tensor))
                {
                    if (node.OpType == "Gather" && node.Input.Count == 2 && node.Input[1] == tensor
                        && (Attributes.Find(node, "axis")?.I ?? 0) == 0
                        && tables.TryGetValue(node.Input[0], out var table) && table.Dims.Count >= 1 && table.Dims[0] > 0)
                        rows = Math.Min(rows ?? long.MaxValue, table.Dims[0]);
                    else if (PassThrough.Contains(node.OpType) && node.Input.Count > 0 && node.Input[0] == tensor)
                        next.AddRange(node.Output);
                }
            frontier = next;
        }
        return rows;
    }
}
