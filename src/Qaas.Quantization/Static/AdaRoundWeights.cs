using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Algorithms;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Transforms;

namespace Qaas.Quantization.Static;

/// <summary>
/// weights.algorithm "adaround" for static QDQ: the second moments of each weighted node's input (2-D Conv patches per
/// group, or the rows of a MatMul/Gemm input), measured in one pass over the calibration samples before any Q/DQ is
/// inserted, and <see cref="AdaRound"/> on the node's weight with the scales and zero points round-to-nearest would
/// use. Weights it cannot treat (ConvTranspose, batched MatMul weights, very large matrices) keep round-to-nearest,
/// and <see cref="Summary"/> says which.
/// </summary>
internal sealed class AdaRoundWeights
{
    // Rows x d^2 x iterations above this (about a minute on two cores) keep round-to-nearest.
    private const long MaxWork = 1L << 37;
    // Multiply-adds per Conv and sample spent on patch moments; at least two patches per patch element are taken.
    private const long PatchWork = 1L << 25;
    // Damping added to the moments' diagonal, relative to its mean (as GPTQ does): directions no sample excited get
    // a little weight instead of none.
    private const double Damping = 0.01;

    private static readonly AdaRoundOptions Options = AdaRoundOptions.Default;
    private readonly AdaRoundCache _cache;
    private readonly CancellationToken _cancellationToken;
    private readonly List<string> _skipped = [];
    private int _rounded;
    private double _nearestLoss, _roundedLoss;

    /// <summary>
    /// Measures, at once and on the float graph (Q/DQ insertion later rewrites the inputs' names), the moments of the
    /// nodes AdaRound will treat that the cache does not hold yet; a cache that holds them all reads no sample.
    /// </summary>
    public AdaRoundWeights(OnnxModel working, IReadOnlyList<QdqNodePlan> plans, SampleFeed calibration, AdaRoundCache? cache,
        IProgress<double>? progress, CancellationToken cancellationToken)
    {
        _cache = cache ?? new AdaRoundCache();
        _cancellationToken = cancellationToken;
        var initializers = working.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var needed = plans.Where(p => p.Role == QdqRole.Weighted && initializers.TryGetValue(p.Node.Input[1], out var weight)
                && Eligible(p.Node, weight.Dims) && !_cache.Moments.ContainsKey(Key(p.Node)))
            .ToList();
        if (needed.Count > 0)
            foreach (var (node, moments) in Measure(working, needed, initializers, calibration, progress, cancellationToken))
                _cache.Moments[Key(node)] = moments;
    }

    /// <summary>
    /// The stored values (one byte per element, two's complement when signed) of <paramref name="node"/>'s weight,
    /// or null when AdaRound does not apply to it and round-to-nearest is to be used.
    /// </summary>
    public byte[]? Round(NodeProto node, string weightName, float[] w, int[] shape, TensorQuantParams p)
    {
        // A cached rounding holds only for the scales it was found for (a bias-driven scale floor may differ per run).
        if (_cache.Rounded.TryGetValue(weightName, out var cached) && cached.Values.Length == w.Length
            && cached.Scales.AsSpan().SequenceEqual(p.Scales) && cached.ZeroPoints.AsSpan().SequenceEqual(p.ZeroPoints))
        {
            _rounded++;
            return cached.Values;
        }
        var layout = RowLayout.Of(node, shape, p);
        if (layout is null || !Eligible(node, shape.Select(d => (long)d).ToList()))
        {
            _skipped.Add($"{StaticQdqQuantizer.ReportName(node)} ({(layout is null ? $"{node.OpType} weight layout" : $"too large: {shape[0]} x {shape.Skip(1).Aggregate(1L, (a, b) => a * b)}")})");
            return null;
        }
        if (!_cache.Moments.TryGetValue(Key(node), out var moments) || moments.Length != layout.Groups)
        {
            _skipped.Add($"{StaticQdqQuantizer.ReportName(node)} (input not measured)");
            return null;
        }
        var rows = layout.ToRows(w);
        var values = new int[rows.Length];
        int rowsPerGroup = layout.Rows / layout.Groups;
        for (int g = 0; g < layout.Groups; g++)
        {
            int r0 = g * rowsPerGroup;
            var result = AdaRound.Round(rows.AsSpan(r0 * layout.D, rowsPerGroup * layout.D), rowsPerGroup, layout.D,
                layout.Scales.AsSpan(r0, rowsPerGroup), layout.ZeroPoints.AsSpan(r0, rowsPerGroup), p.QMin, p.QMax,
                moments[g], Options, _cancellationToken);
            result.Values.CopyTo(values.AsSpan(r0 * layout.D));
            _nearestLoss += result.NearestLoss;
            _roundedLoss += result.RoundedLoss;
        }
        var stored = layout.FromRows(values);
        _rounded++;
        _cache.Rounded[weightName] = new AdaRoundCache.Rounding(p.Scales.ToArray(), p.ZeroPoints.ToArray(), stored);
        return stored;
    }

    /// <summary>What the report should say about this run, or null when nothing was asked of it.</summary>
    public string? Summary()
    {
        if (_rounded == 0 && _skipped.Count == 0) return null;
        var text = $"adaround rounded {_rounded} weight(s) adaptively";
        if (_nearestLoss > 0)
            text += $"; the input-weighted reconstruction loss of those rounded in this run is {100 * _roundedLoss / _nearestLoss:F0}% of round-to-nearest's";
        if (_skipped.Count > 0)
            text += $"; round-to-nearest kept for {_skipped.Count}: {string.Join(", ", _skipped.Take(8))}{(_skipped.Count > 8 ? ", ..." : "")}";
        return text + ".";
    }

    // Nodes are keyed by their report name: each run quantizes a fresh copy of the graph.
    private static string Key(NodeProto node) => StaticQdqQuantizer.ReportName(node);

    // Whether AdaRound treats the node's weight at all, from its dimensions alone: a 2-D Conv, or a 2-D MatMul/Gemm
    // (transA = 0) weight, whose optimisation stays within MaxWork.
    private static bool Eligible(NodeProto node, IReadOnlyList<long> dims)
    {
        (long Rows, long D)? shape = node.OpType switch
        {
            "Conv" when dims.Count == 4 => (dims[0], dims[1] * dims[2] * dims[3]),
            "MatMul" when dims.Count == 2 => (dims[1], dims[0]),
            "Gemm" when dims.Count == 2 && (Attributes.Find(node, "transA")?.I ?? 0) == 0 =>
                (Attributes.Find(node, "transB")?.I ?? 0) != 0 ? (dims[0], dims[1]) : (dims[1], dims[0]),
            _ => null,
        };
        return shape is { } s && s.Rows * s.D * s.D * Options.Iterations <= MaxWork;
    }

    // One sweep over the calibration samples: Conv patch moments per node and group, MatMul/Gemm row moments per tensor
    // (one copy per tensor, however many nodes read it).
    private static Dictionary<NodeProto, float[][]> Measure(OnnxModel working, IReadOnlyList<QdqNodePlan> plans,
        Dictionary<string, TensorProto> initializers, SampleFeed calibration, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        var convs = new Dictionary<NodeProto, (ConvPatches Patches, double[][] Sums)>(ReferenceEqualityComparer.Instance);
        var matrices = new Dictionary<string, double[]?>(StringComparer.Ordinal);
        var readers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in plans.Select(p => p.Node))
        {
            if (node.OpType == "Conv")
            {
                if (ConvPatches.Of(node, initializers[node.Input[1]].Dims) is not { } patches) continue;
                int d = patches.PatchLength;
                convs[node] = (patches, Enumerable.Range(0, patches.Groups).Select(_ => new double[d * d]).ToArray());
            }
            else matrices[node.Input[0]] = null;
            if (!readers.TryGetValue(node.Input[0], out var list)) readers[node.Input[0]] = list = [];
            list.Add(node);
        }
        int visits = 0;
        TensorSweep.Run(working, readers.Keys.ToList(), calibration, (name, shape, x) =>
        {
            if (visits % readers.Count == 0)
                progress?.Report(Math.Min(1, (double)visits / readers.Count / Math.Max(1, calibration.Count)));
            foreach (var node in readers[name].Where(convs.ContainsKey))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (patches, sums) = convs[node];
                long perPosition = (long)patches.Groups * patches.PatchLength * patches.PatchLength;
                int positions = (int)Math.Clamp(PatchWork / Math.Max(1, perPosition), 2L * patches.PatchLength, 1 << 20);
                patches.Accumulate(x, shape, sums, positions, visits / readers.Count);
            }
            if (matrices.ContainsKey(name) && shape.Count > 0 && !x.IsEmpty)
            {
                int k = checked((int)shape[^1]);
                var h = matrices[name] ??= new double[(long)k * k];
                if (h.Length == (long)k * k) InputHessians.AccumulateLower(h, x, k);
            }
            visits++;
        }, cancellationToken);
        progress?.Report(1);

        var moments = new Dictionary<NodeProto, float[][]>(ReferenceEqualityComparer.Instance);
        foreach (var (node, (patches, sums)) in convs)
            moments[node] = sums.Select(h => Damped(h, patches.PatchLength)).ToArray();
        var perTensor = matrices.Where(m => m.Value is not null)
            .ToDictionary(m => m.Key, m => new[] { Damped(m.Value!, (int)Math.Sqrt(m.Value!.Length)) }, StringComparer.Ordinal);
        foreach (var node in readers.Values.SelectMany(r => r).Where(n => !convs.ContainsKey(n)))
            if (perTensor.TryGetValue(node.Input[0], out var h))
                moments[node] = h;
        return moments;
    }

    // The lower triangle mirrored, scaled to a unit mean diagonal, with the damping added.
    private static float[] Damped(double[] lower, int d)
    {
        InputHessians.MirrorLower(lower, d);
        double mean = 0;
        for (int i = 0; i < d; i++) mean += lower[i * d + i];
        mean = mean > 0 ? mean / d : 1;
        var h = new float[d * d];
        for (int i = 0; i < h.Length; i++) h[i] = (float)(lower[i] / mean);
        for (int i = 0; i < d; i++) h[i * d + i] += (float)Damping;
        return h;
    }

    /// <summary>A weight seen as [Rows, D] rows that each meet one input vector, with one scale and zero point per row.</summary>
    private sealed record RowLayout(int Rows, int D, int Groups, bool Transposed, float[] Scales, int[] ZeroPoints)
    {
        public static RowLayout? Of(NodeProto node, int[] shape, TensorQuantParams p)
        {
            bool perTensor = p.Granularity == Granularity.PerTensor;
            switch (node.OpType)
            {
                case "Conv" when shape.Length == 4 && (perTensor || p is { Granularity: Granularity.PerChannel, Axis: 0 }):
                {
                    int group = (int)(Attributes.Find(node, "group")?.I ?? 1);
                    if (group < 1 || shape[0] % group != 0) return null;
                    return Make(shape[0], shape[1] * shape[2] * shape[3], group, false, p);
                }
                case "MatMul" when shape.Length == 2 && (perTensor || p is { Granularity: Granularity.PerChannel, Axis: 1 }):
                    return Make(shape[1], shape[0], 1, true, p);
                case "Gemm" when shape.Length == 2 && (Attributes.Find(node, "transA")?.I ?? 0) == 0:
                {
                    bool transB = (Attributes.Find(node, "transB")?.I ?? 0) != 0;
                    if (!perTensor && !(p.Granularity == Granularity.PerChannel && p.Axis == (transB ? 0 : 1))) return null;
                    return transB ? Make(shape[0], shape[1], 1, false, p) : Make(shape[1], shape[0], 1, true, p);
                }
                default:
                    return null;
            }
        }

        private static RowLayout Make(int rows, int d, int groups, bool transposed, TensorQuantParams p)
        {
            var scales = new float[rows];
            var zeroPoints = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                scales[r] = p.Scales[p.Scales.Length == 1 ? 0 : r];
                zeroPoints[r] = p.ZeroPoints[p.ZeroPoints.Length == 1 ? 0 : r];
            }
            return new RowLayout(rows, d, groups, transposed, scales, zeroPoints);
        }

        public float[] ToRows(float[] w)
        {
            if (!Transposed) return w;
            var rows = new float[w.Length];
            for (int k = 0; k < D; k++)
                for (int r = 0; r < Rows; r++)
                    rows[r * D + k] = w[k * Rows + r];
            return rows;
        }

        public byte[] FromRows(int[] values)
        {
            var stored = new byte[values.Length];
            for (int r = 0; r < Rows; r++)
                for (int k = 0; k < D; k++)
                    stored[Transposed ? k * Rows + r : r * D + k] = unchecked((byte)values[r * D + k]);
            return stored;
        }
    }
}
