using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Pipeline;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Graph pass for the "smoothquant" transform (<see cref="SmoothQuant"/>): for each <see cref="LayerNormSite"/>
/// (a LayerNormalization read only by MatMuls with constant weights W[K, N]), per hidden channel j
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
        var sites = LayerNormSite.Find(model, editor);
        if (sites.Count == 0)
            return 0;

        var working = OnnxModel.FromProto(model, source.Files, validate: false);
        var absMax = measureAbsMax(working, sites.Select(s => s.Output).ToList());
        int smoothed = 0;
        foreach (var site in sites)
        {
            if (!absMax.TryGetValue(site.Output, out var activation))
                continue;
            var weights = site.ReadWeights(editor, source);
            int k = activation.Length;
            var weightMax = new float[k];
            foreach (var (w, n) in weights)
            {
                var rows = SmoothQuant.WeightRowAbsMax(w, k, n);
                for (int j = 0; j < k; j++) weightMax[j] = MathF.Max(weightMax[j], rows[j]);
            }
            site.Rescale(editor, source, weights, SmoothQuant.Scales(activation.Select(a => (float)a).ToArray(), weightMax, Alpha), "_smoothed");
            smoothed++;
        }
        editor.RemoveUnusedInitializers();
        return smoothed;
    }
}
