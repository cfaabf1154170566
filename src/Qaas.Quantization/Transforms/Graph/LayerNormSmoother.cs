using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Pipeline;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Graph pass for the "smoothquant" transform (<see cref="SmoothQuant"/>): for each LayerNormalization whose output is
/// read only by MatMuls with constant weights W[K, N] (e.g. a block's Q, K and V projections), per hidden channel j
/// <code>
/// s[j] = max|Y[..., j]|^alpha / max over the MatMuls of max|W[j, :]|^(1 - alpha)     // Y measured on calibration data
/// LayerNorm scale[j] /= s[j];  bias[j] /= s[j];  every W[j, :] *= s[j]                 // Y / s times s W = Y W
/// </code>
/// so the activation outliers a per-tensor activation scale cannot fit move into the per-channel weights.
/// </summary>
public static class LayerNormSmoother
{
    public const float Alpha = 0.5f;

    /// <returns>How many LayerNormalizations were smoothed.</returns>
    public static int Apply(ModelProto model, OnnxModel source, SampleFeed calibration, CancellationToken cancellationToken = default) =>
        Apply(model, source, (working, tensors) =>
            ChannelStatistics.Measure(working, tensors, calibration, ChannelAxis.Last, ChannelReduction.AbsMax, cancellationToken));

    /// <param name="measureAbsMax">max |Y[..., j]| of the given LayerNorm outputs over the calibration samples, run on
    /// the model as it stands before smoothing (a caller that repeats quantization can cache it).</param>
    /// <returns>How many LayerNormalizations were smoothed.</returns>
    public static int Apply(ModelProto model, OnnxModel source,
        Func<OnnxModel, IReadOnlyCollection<string>, IReadOnlyDictionary<string, double[]>> measureAbsMax)
    {
        var editor = new GraphEditor(model);
        editor.PromoteConstantsToInitializers();
        var view = new GraphView(model.Graph);
        // Only parameters no other node (nor a subgraph) reads can be rescaled.
        bool Owned(string name, int dims) => name.Length > 0 && view.ConsumersOf(name).Count == 1 && !view.IsGraphInput(name)
            && editor.FindInitializer(name) is { DataType: (int)DT.Float } t && t.Dims.Count == dims;

        var sites = new List<(NodeProto Norm, IReadOnlyList<NodeProto> MatMuls)>();
        foreach (var norm in model.Graph.Node.Where(n => n.OpType == "LayerNormalization" && n.Domain.Length == 0))
        {
            var y = norm.Output[0];
            if (norm.Input.Count < 2 || !Owned(norm.Input[1], 1) || (norm.Input.Count > 2 && norm.Input[2].Length > 0 && !Owned(norm.Input[2], 1))
                || (Attributes.Find(norm, "axis")?.I ?? -1) != -1 || view.IsGraphOutput(y))
                continue;
            var consumers = view.ConsumersOf(y);
            long channels = editor.FindInitializer(norm.Input[1])!.Dims[0];
            if (consumers.Count > 0 && consumers.All(m => m.OpType == "MatMul" && m.Domain.Length == 0 && m.Input[0] == y
                && Owned(m.Input[1], 2) && editor.FindInitializer(m.Input[1])!.Dims[0] == channels))
                sites.Add((norm, consumers));
        }
        if (sites.Count == 0)
            return 0;

        var working = OnnxModel.FromProto(model, source.Files, validate: false);
        var absMax = measureAbsMax(working, sites.Select(s => s.Norm.Output[0]).ToList());
        int smoothed = 0;
        foreach (var (norm, matMuls) in sites)
        {
            if (!absMax.TryGetValue(norm.Output[0], out var activation))
                continue;
            var weights = matMuls.Select(m => (Node: m, Tensor: editor.FindInitializer(m.Input[1])!)).ToList();
            var values = weights.Select(w => TensorData.Read<float>(w.Tensor, source)).ToList();
            int k = activation.Length;
            var weightMax = new float[k];
            foreach (var (w, i) in values.Select((w, i) => (w, i)))
            {
                var rows = SmoothQuant.WeightRowAbsMax(w, k, (int)weights[i].Tensor.Dims[1]);
                for (int j = 0; j < k; j++) weightMax[j] = MathF.Max(weightMax[j], rows[j]);
            }
            var s = SmoothQuant.Scales(activation.Select(a => (float)a).ToArray(), weightMax, Alpha);
            foreach (var (w, i) in values.Select((w, i) => (w, i)))
            {
                SmoothQuant.ScaleWeightRows(w, k, (int)weights[i].Tensor.Dims[1], s);
                weights[i].Node.Input[1] = editor.AddInitializer(TensorData.Create<float>(weights[i].Tensor.Name + "_smoothed", w,
                    weights[i].Tensor.Dims.ToArray()));
            }
            for (int input = 1; input < Math.Min(3, norm.Input.Count); input++)
            {
                if (norm.Input[input].Length == 0) continue;
                var tensor = editor.FindInitializer(norm.Input[input])!;
                var v = TensorData.Read<float>(tensor, source);
                for (int j = 0; j < k; j++) v[j] /= s[j];
                norm.Input[input] = editor.AddInitializer(TensorData.Create<float>(tensor.Name + "_smoothed", v, tensor.Dims.ToArray()));
            }
            smoothed++;
        }
        editor.RemoveUnusedInitializers();
        return smoothed;
    }
}
