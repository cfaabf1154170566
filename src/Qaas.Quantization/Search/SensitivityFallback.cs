using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Evaluation;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Reports;
using Qaas.Quantization.Static;
using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Search;

/// <summary>
/// Static QDQ quantization that keeps the most sensitive nodes in fp32 until the recipe's acceptance limits
/// (output SQNR / cosine against fp32 on the calibration samples) hold: "partial quantization" from Wu et al. 2020,
/// Integer Quantization for Deep Learning Inference (quantize one layer at a time, leave the most sensitive in float):
/// <code>
/// q = quantize(all); if fidelity(q) meets limits: return q
/// for each node i: s[i] = SQNR(quantize({i}))            // ranges calibrated once, reused
/// for k = 1, 2, ... up to 25% of nodes: q = quantize(all - k lowest s); stop at the first k that meets limits
/// none met: return the highest-SQNR q tried, with a warning
/// </code>
/// One-node-at-a-time was chosen over "all but node i": both cost one session per node, but the single-node SQNR
/// is a direct, additive-looking error measure, whereas removing one node from a fully quantized model barely moves
/// the total when several nodes are bad together.
/// </summary>
public static class SensitivityFallback
{
    /// <param name="recipe">A resolved static recipe.</param>
    public static FallbackResult Search(OnnxModel model, Recipe recipe, SampleFeed calibration,
        IProgress<double>? progress = null, CancellationToken cancellationToken = default, SensitivityFallbackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(calibration);
        options ??= new SensitivityFallbackOptions();
        var ranges = options.Statistics?.Ranges ?? new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        // The transforms' statistics are measured once too.
        var means = options.Statistics?.ChannelMeans ?? new Dictionary<string, double[]>(StringComparer.Ordinal);
        var absMax = options.Statistics?.ChannelAbsMax ?? new Dictionary<string, double[]>(StringComparer.Ordinal);
        var rounded = options.Statistics?.AdaRound ?? new AdaRoundCache();
        var full = StaticQdqQuantizer.Quantize(model, recipe, calibration, ProgressRange.Of(progress, 0, 0.3),
            cancellationToken, new StaticQdqOptions(Ranges: ranges, ChannelMeans: means, ChannelAbsMax: absMax, AdaRound: rounded));
        var limits = AcceptanceLimits.From(recipe.Acceptance);
        if (!limits.Any || full.Nodes.Count == 0)
            return Done(new FallbackResult(full, [], new Dictionary<string, double>(), null, null, true), progress);

        using var sessions = new CandidateSessions(model, options.Threads);
        var reference = sessions.Reference;
        InferenceSession Open(ModelProto proto) => sessions.Open(proto);
        QuantizedModel QuantizeKeeping(IEnumerable<string> keep) => StaticQdqQuantizer.Quantize(model, recipe, calibration, null,
            cancellationToken, new StaticQdqOptions(keep.ToHashSet(StringComparer.Ordinal), ranges, means, absMax, rounded));

        // Every candidate checked, as a point of the report's search section: weights against fp32's, lowest SQNR.
        var tried = new List<SearchPoint>();
        double fp32Bytes = Math.Max(1, WeightBytes(model.Proto));
        (bool Held, double Sqnr) Check(QuantizedModel q)
        {
            using var candidate = Open(q.Model);
            var fidelity = FidelityEvaluator.Evaluate(reference, candidate, calibration, cancellationToken: cancellationToken);
            var sqnr = fidelity.Values.Select(o => o.SqnrDb).DefaultIfEmpty(FidelityEvaluator.SqnrCeilingDb).Min();
            tried.Add(new SearchPoint(Math.Round(WeightBytes(q.Model) / fp32Bytes, 4), null, Math.Round(sqnr, 2)));
            return (limits.HeldBy(fidelity), sqnr);
        }

        var (fullHeld, before) = Check(full);
        if (fullHeld)
            return Done(new FallbackResult(full with { Search = ParetoFront.Of(tried, tried[0]) }, [], new Dictionary<string, double>(),
                before, before, true), progress);

        var names = full.Nodes.Select(n => n.Name).ToList();
        var sensitivity = MeasureSensitivity(model, calibration, names, QuantizeKeeping, Open, reference, options, progress, cancellationToken);
        var order = names.OrderBy(n => sensitivity[n]).ToList();

        // Greedy, re-checking the whole model after each addition: on PP-OCR det the fidelity is not monotonic in k
        // (measured: 4 kept can be worse than 3), so bisection over batches would skip passing points.
        int maxKeep = (int)Math.Floor(options.MaxFloatShare * names.Count);
        (QuantizedModel Model, bool Held, double Sqnr) best = (full, false, before);
        int passing = -1, bestK = 0, bestPoint = 0;
        for (int k = 1; k <= maxKeep && passing < 0; k++)
        {
            var q = QuantizeKeeping(order.Take(k));
            var (held, sqnr) = Check(q);
            if (held) passing = k;
            if (held || sqnr > best.Sqnr) { best = (q, held, sqnr); bestK = k; bestPoint = tried.Count - 1; }
            progress?.Report(0.8 + 0.2 * k / Math.Max(1, maxKeep));
        }

        // Not met: the highest-fidelity model tried.
        int chosen = passing > 0 ? passing : bestK;
        var (chosenModel, met, after) = best;
        var kept = order.Take(chosen).ToList();
        var keptSet = kept.ToHashSet(StringComparer.Ordinal);
        var nodes = full.Nodes.Select(n => keptSet.Contains(n.Name)
            ? n with { Type = "fp32", Bits = 32, Sensitivity = sensitivity[n.Name] }
            : n with { Sensitivity = sensitivity[n.Name] }).ToList();
        var warnings = chosenModel.Warnings.ToList();
        // The search sees the calibration samples; the report's metrics come from the evaluation data.
        warnings.Add(met
            ? $"Acceptance limits ({limits}) failed fully quantized (lowest output SQNR {before:F1} dB on the calibration samples); kept " +
              $"{kept.Count} of {names.Count} most sensitive nodes in fp32 to meet them there ({after:F1} dB): {string.Join(", ", kept)}."
            : kept.Count == 0
                ? $"Acceptance limits ({limits}) could not be met: lowest output SQNR on the calibration samples {before:F1} dB fully " +
                  $"quantized, and no node may stay in fp32 ({options.MaxFloatShare:P0} of {names.Count} nodes rounds down to none)."
                : $"Acceptance limits ({limits}) could not be met: lowest output SQNR on the calibration samples {before:F1} dB fully " +
                  $"quantized, {after:F1} dB with the {kept.Count} most sensitive of {names.Count} nodes in fp32 (the most allowed): {string.Join(", ", kept)}.");
        var search = ParetoFront.Of(tried, tried[bestPoint]);
        var result = new FallbackResult(chosenModel with { Nodes = nodes, Warnings = warnings, Search = search }, kept, sensitivity, before, after, met);
        return Done(result, progress);
    }

    // Bytes of the main graph's constants as stored (int8 weights, fp32 where kept, scales and zero points): its
    // initializers and its Constant nodes' values (the quantizer promotes the latter; an export may hold weights there).
    private static long WeightBytes(ModelProto model) =>
        model.Graph.Initializer.Concat(model.Graph.Node.Where(n => n.OpType == "Constant" && n.Domain is "" or "ai.onnx")
                .SelectMany(n => n.Attribute.Where(a => a.Name == "value").Select(a => a.T)))
            .Sum(t => TensorLayout.ByteSize(t) ?? 0);

    /// <summary>Per node, the lowest output SQNR with only that node quantized, on the first few calibration samples.</summary>
    private static Dictionary<string, double> MeasureSensitivity(OnnxModel model, SampleFeed calibration, IReadOnlyList<string> names,
        Func<IEnumerable<string>, QuantizedModel> quantizeKeeping, Func<ModelProto, InferenceSession> open,
        InferenceSession reference, SensitivityFallbackOptions options, IProgress<double>? progress, CancellationToken ct)
    {
        var known = options.Sensitivities ?? new Dictionary<string, double>(StringComparer.Ordinal);
        var samples = calibration.Samples().Take(Math.Max(1, options.SensitivitySamples)).ToList();
        var outputs = new ReferenceOutputs(reference, samples, ct);
        var sensitivity = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
        {
            if (!known.TryGetValue(names[i], out var sqnr))
            {
                var only = quantizeKeeping(names.Where((_, j) => j != i));
                using var candidate = open(only.Model);
                known[names[i]] = sqnr = outputs.MinSqnrDb(candidate, ct);
            }
            sensitivity[names[i]] = sqnr;
            progress?.Report(0.3 + 0.5 * (i + 1) / names.Count);
        }
        return sensitivity;
    }

    private static FallbackResult Done(FallbackResult result, IProgress<double>? progress)
    {
        progress?.Report(1.0);
        return result;
    }
}
