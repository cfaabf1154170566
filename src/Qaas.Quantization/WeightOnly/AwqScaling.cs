using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Algorithms;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Transforms;
using Qaas.Quantization.Transforms.Graph;

namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// weights.algorithm "awq": <see cref="Awq"/>'s scales for every <see cref="LayerNormSite"/>, found on calibration tokens
/// of the LayerNorm's output. The LayerNorm's scale and bias are divided by s here; the quantizer multiplies the weight
/// rows by s as it reads each weight (<see cref="Outcome.RowScales"/>), so no scaled fp32 copy of the weights is kept.
/// Also each of those MatMuls' input energy E[x_j^2] (divided by s_j^2: the scaled weight meets x / s), which the clip
/// search weighs its rows with. MatMuls whose input no LayerNorm produces keep plain rounding: their scales would need
/// a node of their own.
/// </summary>
public static class AwqScaling
{
    /// <summary>Calibration tokens kept per site for the loss (a uniform sample of all tokens seen).</summary>
    public const int MaxRows = 256;

    /// <summary>Room for the kept tokens of all sites together.</summary>
    public const long RowBudgetBytes = 256L << 20;

    /// <summary>Rounds a MatMul's scaled weight [K, N]; rowWeights is E[x^2] of the scaled input per row.</summary>
    public delegate float[] Rounding(float[] values, int k, int n, float[] rowWeights);

    /// <param name="Model">The scaled model, or the input model when it has no site.</param>
    /// <param name="Scaled">Sites whose scales were folded (plain rounding was best for the others).</param>
    /// <param name="RowWeights">The clip search's row weights of every site's MatMuls, by MatMul output name.</param>
    /// <param name="RowScales">s of every scaled site's MatMuls, by MatMul output name: weight row j times s[j].</param>
    /// <param name="Unmeasured">Sites skipped because their calibration outputs held NaN or infinity.</param>
    public sealed record Outcome(OnnxModel Model, int Scaled, int Sites, IReadOnlyDictionary<string, float[]> RowWeights,
        IReadOnlyDictionary<string, float[]> RowScales, int Unmeasured);

    /// <param name="roundingFor">The rounding the quantizer will apply to a MatMul's weight; null for one it leaves float
    /// (its site is then left alone).</param>
    /// <param name="progress">Share done: a fifth for the calibration sweep, the rest site by site.</param>
    public static Outcome Apply(OnnxModel model, SampleFeed calibration, Func<NodeProto, Rounding?> roundingFor,
        IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        var proto = model.Proto.Clone();
        var editor = new GraphEditor(proto);
        // Every MatMul of a site must be quantized: the norm's output changes, and only a quantized weight gets its rows
        // scaled back (as the quantizer reads it).
        var sites = LayerNormSite.Find(proto, editor).Where(s => s.MatMuls.All(m => roundingFor(m) is not null)).ToList();
        var rowWeights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var rowScales = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (sites.Count == 0)
            return new Outcome(model, 0, 0, rowWeights, rowScales, 0);
        var working = OnnxModel.FromProto(proto, model.Files, validate: false);
        var tokens = Tokens(working, editor, sites, calibration, cancellationToken);
        progress?.Report(0.2);
        int scaled = 0, done = 0, unmeasured = 0;
        foreach (var site in sites)
        {
            progress?.Report(0.2 + 0.8 * done++ / sites.Count);
            if (!tokens.TryGetValue(site.Output, out var t) || t.Count == 0)
                continue;
            var meanSquare = t.MeanSquare();
            if (!meanSquare.All(float.IsFinite))
            {
                unmeasured++;
                continue;
            }
            var weights = site.ReadWeights(editor, model);
            var roundings = site.MatMuls.Select(roundingFor).ToList();
            var result = Awq.Search(t.MeanAbs(), t.Rows(), weights, (i, w, k, n, s) => roundings[i]!(w, k, n, Divided(meanSquare, s)),
                cancellationToken: cancellationToken);
            foreach (var m in site.MatMuls)
                rowWeights[m.Output[0]] = Divided(meanSquare, result.Scales);
            if (result.Alpha == 0)
                continue; // plain rounding was best: nothing to fold
            site.DivideNorm(editor, model, result.Scales, "_awq");
            foreach (var m in site.MatMuls)
                rowScales[m.Output[0]] = result.Scales;
            scaled++;
        }
        editor.RemoveUnusedInitializers();
        return new Outcome(OnnxModel.FromProto(proto, model.Files, validate: false), scaled, sites.Count, rowWeights, rowScales, unmeasured);
    }

    // E[x^2] / s^2: the energy of the scaled input x / s.
    private static float[] Divided(float[] meanSquare, float[] s) =>
        meanSquare.Select((e, j) => e / (s[j] * s[j])).ToArray();

    private static Dictionary<string, TokenSample> Tokens(OnnxModel model, GraphEditor editor, IReadOnlyList<LayerNormSite> sites,
        SampleFeed feed, CancellationToken cancellationToken)
    {
        var samples = new Dictionary<string, TokenSample>(StringComparer.Ordinal);
        long bytesPerRow = sites.Sum(s => sizeof(float) * editor.FindInitializer(s.Norm.Input[s.Scale])!.Dims[0]);
        int rows = (int)Math.Clamp(RowBudgetBytes / Math.Max(1, bytesPerRow), 16, MaxRows);
        TensorSweep.Run(model, sites.Select(s => s.Output).Distinct().ToList(), feed, (name, shape, x) =>
        {
            if (shape.Count == 0 || x.IsEmpty) return;
            int k = checked((int)shape[^1]);
            if (!samples.TryGetValue(name, out var sample)) samples[name] = sample = new TokenSample(k, rows);
            sample.Add(x);
        }, cancellationToken);
        return samples;
    }

    /// <summary>mean |x| and mean x^2 per channel over every token, and a reservoir of whole tokens (fixed seed).</summary>
    private sealed class TokenSample(int channels, int capacity)
    {
        private readonly double[] _absSum = new double[channels];
        private readonly double[] _squareSum = new double[channels];
        private readonly List<float[]> _kept = [];
        private readonly Random _random = new(0);
        private long _seen;

        public int Count => _kept.Count;

        public void Add(ReadOnlySpan<float> x)
        {
            if (x.Length % channels != 0) return;
            for (int r = 0; r < x.Length; r += channels)
            {
                var token = x.Slice(r, channels);
                for (int j = 0; j < channels; j++)
                {
                    double v = token[j];
                    _absSum[j] += Math.Abs(v);
                    _squareSum[j] += v * v;
                }
                long slot = _seen < capacity ? _seen : _random.NextInt64(_seen + 1);
                if (slot < capacity)
                {
                    if (slot == _kept.Count) _kept.Add(token.ToArray());
                    else token.CopyTo(_kept[(int)slot]);
                }
                _seen++;
            }
        }

        public float[] MeanAbs() => _absSum.Select(v => (float)(v / Math.Max(1, _seen))).ToArray();

        public float[] MeanSquare() => _squareSum.Select(v => (float)(v / Math.Max(1, _seen))).ToArray();

        public float[] Rows() => _kept.SelectMany(r => r).ToArray();
    }
}
