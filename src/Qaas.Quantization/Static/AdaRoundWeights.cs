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

    private readonly AdaRoundOptions _options = AdaRoundOptions.Default;
    private readonly IDictionary<string, byte[]>? _cache;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<NodeProto, float[][]> _moments;
    private readonly List<string> _skipped = [];
    private int _rounded;
    private double _nearestLoss, _roundedLoss;

    /// <summary>Measures the moments at once, on the float graph: Q/DQ insertion later rewrites the inputs' names.</summary>
    /// <param name="cache">Values of earlier runs by weight name; when it holds every weight, no sample is read.</param>
    public AdaRoundWeights(OnnxModel working, IReadOnlyList<QdqNodePlan> plans, SampleFeed calibration,
        IDictionary<string, byte[]>? cache, CancellationToken cancellationToken)
    {
        _cache = cache;
        _cancellationToken = cancellationToken;
        bool allCached = cache is not null && plans.All(p => p.WeightInput is not { } i || cache.ContainsKey(p.Node.Input[i]));
        _moments = allCached ? new(ReferenceEqualityComparer.Instance) : Measure(working, plans, calibration, cancellationToken);
    }

    /// <summary>
    /// The stored values (one byte per element, two's complement when signed) of <paramref name="node"/>'s weight,
    /// or null when AdaRound does not apply to it and round-to-nearest is to be used.
    /// </summary>
    public byte[]? Round(NodeProto node, string weightName, float[] w, int[] shape, TensorQuantParams p)
    {
        if (_cache is not null && _cache.TryGetValue(weightName, out var cached) && cached.Length == w.Length)
        {
            _rounded++;
            return cached;
        }
        var layout = RowLayout.Of(node, shape, p);
        if (layout is null)
        {
            _skipped.Add($"{StaticQdqQuantizer.ReportName(node)} ({node.OpType} weight layout)");
            return null;
        }
        if ((long)layout.Rows * layout.D * layout.D * _options.Iterations > MaxWork)
        {
            _skipped.Add($"{StaticQdqQuantizer.ReportName(node)} (too large: {layout.Rows} x {layout.D})");
            return null;
        }
        if (!_moments.TryGetValue(node, out var moments))
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
                moments[g], _options, _cancellationToken);
            result.Values.CopyTo(values.AsSpan(r0 * layout.D));
            _nearestLoss += result.NearestLoss;
            _roundedLoss += result.RoundedLoss;
        }
        var stored = layout.FromRows(values);
        _rounded++;
        if (_cache is not null) _cache[weightName] = stored;
        return stored;
    }

    /// <summary>What the report should say about this run, or null when nothing was asked of it.</summary>
    public string? Summary()
    {
        if (_rounded == 0 && _skipped.Count == 0) return null;
        var text = $"adaround rounded {_rounded} weight(s) adaptively";
        if (_nearestLoss > 0)
            text += $"; their output error on the calibration inputs is {100 * _roundedLoss / _nearestLoss:F0}% of round-to-nearest's";
        if (_skipped.Count > 0)
            text += $"; round-to-nearest kept for {_skipped.Count}: {string.Join(", ", _skipped.Take(8))}{(_skipped.Count > 8 ? ", ..." : "")}";
        return text + ".";
    }

    // One sweep over the calibration samples: Conv patch moments per node and group, MatMul/Gemm row moments per tensor.
    private static Dictionary<NodeProto, float[][]> Measure(OnnxModel working, IReadOnlyList<QdqNodePlan> plans, SampleFeed calibration,
        CancellationToken cancellationToken)
    {
        var inits = working.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var convs = new Dictionary<NodeProto, (ConvPatches Patches, double[][] Sums)>(ReferenceEqualityComparer.Instance);
        var matrices = new Dictionary<string, double[]?>(StringComparer.Ordinal);
        var readers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var plan in plans.Where(p => p.Role == QdqRole.Weighted))
        {
            var node = plan.Node;
            if (!inits.TryGetValue(node.Input[1], out var weight)) continue;
            if (node.OpType == "Conv")
            {
                if (ConvPatches.Of(node, weight.Dims) is not { } patches) continue;
                int d = patches.PatchLength;
                convs[node] = (patches, Enumerable.Range(0, patches.Groups).Select(_ => new double[d * d]).ToArray());
            }
            else if (node.OpType is "MatMul" or "Gemm") matrices[node.Input[0]] = null;
            else continue;
            if (!readers.TryGetValue(node.Input[0], out var list)) readers[node.Input[0]] = list = [];
            list.Add(node);
        }
        int visits = 0;
        TensorSweep.Run(working, readers.Keys.ToList(), calibration, (name, shape, x) =>
        {
            foreach (var node in readers[name].Where(convs.ContainsKey))
            {
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

        var moments = new Dictionary<NodeProto, float[][]>(ReferenceEqualityComparer.Instance);
        foreach (var (node, (patches, sums)) in convs)
            moments[node] = sums.Select(h => Damped(h, patches.PatchLength)).ToArray();
        foreach (var readersOf in readers.Values)
            foreach (var node in readersOf.Where(n => !convs.ContainsKey(n)))
                if (matrices[node.Input[0]] is { } h)
                    moments[node] = [Damped(h, (int)Math.Sqrt(h.Length))];
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
