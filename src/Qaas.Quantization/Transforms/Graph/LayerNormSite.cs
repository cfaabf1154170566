using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// A normalization over the last axis (LayerNormalization, RMSNormalization, or ONNX Runtime's SimplifiedLayerNormalization,
/// SkipLayerNormalization and SkipSimplifiedLayerNormalization, as LLM exports use) whose normalized output only MatMuls
/// with constant weights W[K, N] read (e.g. a block's Q, K and V projections), with a scale (and bias) no other node
/// reads: dividing scale and bias by s[j] and multiplying every weight row j by s[j] leaves the MatMul outputs unchanged,
/// so per-channel scales can move between the activation and the weights (SmoothQuant, AWQ). A Skip variant's other
/// outputs (the residual sum) do not depend on the scale.
/// </summary>
/// <param name="Scale">Index of the scale (gamma) input.</param>
/// <param name="Bias">Index of the bias (beta) input; -1 for RMS norms, which have none.</param>
public sealed record LayerNormSite(NodeProto Norm, IReadOnlyList<NodeProto> MatMuls, int Scale, int Bias)
{
    /// <summary>The normalized tensor the MatMuls read.</summary>
    public string Output => Norm.Output[0];

    private static readonly (string OpType, string Domain, int Scale, int Bias)[] Kinds =
    [
        ("LayerNormalization", "", 1, 2),
        ("RMSNormalization", "", 1, -1),
        ("SimplifiedLayerNormalization", "", 1, -1),
        ("SkipLayerNormalization", "com.microsoft", 2, 3),
        ("SkipSimplifiedLayerNormalization", "com.microsoft", 2, -1),
    ];

    /// <summary>The sites of <paramref name="model"/>'s main graph (constants promoted to initializers first).</summary>
    public static IReadOnlyList<LayerNormSite> Find(ModelProto model, GraphEditor editor)
    {
        editor.PromoteConstantsToInitializers();
        var view = new GraphView(model.Graph);
        // Only parameters no other node (nor a subgraph) reads can be rescaled.
        bool Owned(string name, int dims) => name.Length > 0 && view.ConsumersOf(name).Count == 1 && !view.IsGraphInput(name)
            && editor.FindInitializer(name) is { DataType: (int)DT.Float } t && t.Dims.Count == dims;

        var sites = new List<LayerNormSite>();
        foreach (var norm in model.Graph.Node)
        {
            var kind = Array.Find(Kinds, k => k.OpType == norm.OpType && k.Domain == norm.Domain);
            if (kind.OpType is null || norm.Input.Count <= kind.Scale)
                continue;
            var y = norm.Output[0];
            bool hasBias = kind.Bias >= 0 && norm.Input.Count > kind.Bias && norm.Input[kind.Bias].Length > 0;
            if (!Owned(norm.Input[kind.Scale], 1) || (hasBias && !Owned(norm.Input[kind.Bias], 1))
                || (Attributes.Find(norm, "axis")?.I ?? -1) != -1 || view.IsGraphOutput(y))
                continue;
            var consumers = view.ConsumersOf(y);
            long channels = editor.FindInitializer(norm.Input[kind.Scale])!.Dims[0];
            // A broadcast scale or bias (one value for all channels) cannot take per-channel factors.
            if (hasBias && editor.FindInitializer(norm.Input[kind.Bias])!.Dims[0] != channels)
                continue;
            if (consumers.Count > 0 && consumers.All(m => m.OpType == "MatMul" && m.Domain.Length == 0 && m.Input[0] == y
                && Owned(m.Input[1], 2) && editor.FindInitializer(m.Input[1])!.Dims[0] == channels))
                sites.Add(new LayerNormSite(norm, consumers, kind.Scale, hasBias ? kind.Bias : -1));
        }
        return sites;
    }

    /// <summary>Each MatMul's weight [K, N] as stored now, in <see cref="MatMuls"/>' order.</summary>
    public IReadOnlyList<(float[] Values, int N)> ReadWeights(GraphEditor editor, OnnxModel source) =>
        MatMuls.Select(m =>
        {
            var tensor = editor.FindInitializer(m.Input[1])!;
            return (TensorData.Read<float>(tensor, source), (int)tensor.Dims[1]);
        }).ToList();

    /// <summary>
    /// Rows j of <paramref name="weights"/> (as read by <see cref="ReadWeights"/>, changed in place) times s[j], stored as
    /// new initializers named with <paramref name="suffix"/>, and the LayerNorm's scale and bias divided by s[j].
    /// </summary>
    public void Rescale(GraphEditor editor, OnnxModel source, IReadOnlyList<(float[] Values, int N)> weights, ReadOnlySpan<float> s,
        string suffix)
    {
        int k = s.Length;
        for (int i = 0; i < MatMuls.Count; i++)
        {
            var (w, n) = weights[i];
            SmoothQuant.ScaleWeightRows(w, k, n, s);
            var node = MatMuls[i];
            node.Input[1] = editor.AddInitializer(TensorData.Create<float>(node.Input[1] + suffix, w, [k, n]));
        }
        DivideNorm(editor, source, s, suffix);
    }

    /// <summary>
    /// Only the norm's scale and bias divided by s[j]: for a caller that multiplies the weight rows by s[j] itself
    /// as it reads them, so that no scaled copy of a large weight is kept in the graph.
    /// </summary>
    public void DivideNorm(GraphEditor editor, OnnxModel source, ReadOnlySpan<float> s, string suffix)
    {
        foreach (int input in Bias >= 0 ? [Scale, Bias] : new[] { Scale })
        {
            var tensor = editor.FindInitializer(Norm.Input[input])!;
            var v = TensorData.Read<float>(tensor, source);
            for (int j = 0; j < s.Length; j++) v[j] /= s[j];
            Norm.Input[input] = editor.AddInitializer(TensorData.Create<float>(tensor.Name + suffix, v, tensor.Dims.ToArray()));
        }
    }
}
