using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Algorithms;
using Qaas.Quantization.Evaluation;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Reports;
using Qaas.Quantization.WeightOnly;

namespace Qaas.Quantization.Search;

/// <summary>
/// "mixedPrecision" for MatMulNBits weights: bits per weight from the recipe's candidates so that, with the least output
/// error, the main graph's quantized MatMul weights (packed values, scales, zero points) take at most sizeRatio of their
/// fp32 bytes (objective "size"), or a run on the first calibration sample takes at most latencyRatio of fp32's time
/// (objective "latency", costs from <see cref="MixedPrecisionBudget.Latency"/>). HAWQ-style (Dong et al. 2019): each weight's sensitivity is measured, here
/// directly, as the output noise (1 / SQNR) with only that weight quantized at the fewest bits, on a few calibration
/// samples; the noise at b more bits is taken as 4^-b of it (uniform rounding noise scales with the step squared), and
/// the noises of different weights add. Allocation is a multiple-choice knapsack, solved greedily: from
/// all-fewest-bits, take the upgrade with the most noise removed per byte (or microsecond) added while it fits (a heuristic: with
/// whole upgrades a cheaper, less efficient one may be left out). A model with more than
/// <see cref="MaxMeasuredWeights"/> weights would take as many whole-model runs, so there consecutive weights are
/// measured in that many groups, and a group's noise is shared among its weights in proportion to their own relative
/// output errors (<see cref="LocalNoise"/>, one calibration pass): the runs still see how errors reach the outputs
/// (a vocabulary head matters more than its local error says), the local estimate only splits a group.
/// </summary>
public static class MixedPrecisionSearch
{
    /// <summary>Whole-model runs the sensitivity measurement may take: one per weight, or one per group of weights.</summary>
    public const int MaxMeasuredWeights = 64;

    /// <param name="recipe">A resolved recipe with format "matmulnbits" and a mixedPrecision section.</param>
    /// <param name="maxMeasuredWeights">Beyond this many weights they are measured in this many groups.</param>
    public static QuantizedModel Quantize(OnnxModel model, Recipe recipe, SampleFeed calibration, IProgress<double>? progress = null,
        CancellationToken cancellationToken = default, SensitivityFallbackOptions? options = null, int maxMeasuredWeights = MaxMeasuredWeights)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(calibration);
        var spec = recipe.MixedPrecision ?? throw new ArgumentException("The recipe has no mixedPrecision section.", nameof(recipe));
        bool latency = spec.Objective == "latency";
        double ratio = (latency ? spec.Budget?.LatencyRatio : spec.Budget?.SizeRatio)
            ?? throw new ArgumentException($"mixedPrecision needs budget.{(latency ? "latencyRatio" : "sizeRatio")}.", nameof(recipe));
        var bits = (spec.Candidates ?? []).Select(c => MatMulNBitsQuantizer.BitsOf(c)
            ?? throw new ArgumentException($"MatMulNBits cannot store '{c}' weights.", nameof(recipe))).Distinct().Order().ToArray();
        if (bits.Length == 0)
            throw new ArgumentException("mixedPrecision needs at least one candidate type.", nameof(recipe));
        options ??= new SensitivityFallbackOptions();
        // Weights held by Constant nodes become initializers, as the quantizer reads them, so that every size is known.
        var promoted = model.Proto.Clone();
        new GraphEditor(promoted).PromoteConstantsToInitializers();
        model = OnnxModel.FromProto(promoted, model.Files, validate: false);
        var quantizerOptions = MatMulNBitsOptions.Default;
        int blockSize = recipe.Weights?.GroupSize ?? 32;
        bool symmetric = recipe.Weights?.Symmetric ?? false;
        var graphOutputs = model.Proto.Graph.Output.Select(o => o.Name).ToHashSet();

        // One entry per main-graph weight; the quantizer packs a main-graph weight once for each MatMul that reads it,
        // so a shared weight costs that many copies. MatMuls inside subgraphs get the fewest bits, outside the budget.
        var matMuls = WeightedMatMuls.FindAll(model.Proto.Graph, recipe.Nodes);
        var uses = matMuls.Where(m => m.Scope.IsMain).GroupBy(m => m.WeightName).ToList();
        var layers = uses.Select(g => g.First()).ToList();
        QuantizedModel Run(Func<WeightedMatMul, int?> bitsOf) =>
            MatMulNBitsQuantizer.Quantize(model, recipe, quantizerOptions with { BitsOf = bitsOf }, cancellationToken);
        if (layers.Count == 0)
            return Run(_ => bits[0]);

        int BlockOf(WeightedMatMul m) => MatMulNBitsQuantizer.BlockOf(m, blockSize, quantizerOptions, graphOutputs);
        bool grouped = layers.Count > maxMeasuredWeights;
        var local = grouped
            ? LocalNoise.Estimate(model, uses.Select(g => (IReadOnlyList<WeightedMatMul>)g.ToList()).ToList(), bits,
                (w, m, b) => MatMulNBitsPacker.Dequantize(MatMulNBitsQuantizer.Rounded(w, m.K, m.N, b, BlockOf(m), symmetric, quantizerOptions.ClipSearch)),
                calibration, ProgressRange.Of(progress, 0, 0.3), cancellationToken)
            : null;
        var noise = MeasuredNoise(model, layers, bits, Run, calibration, options, Math.Max(1, maxMeasuredWeights), local,
            ProgressRange.Of(progress, grouped ? 0.3 : 0, grouped ? 0.6 : 0.9), cancellationToken);

        long fp32 = layers.Sum(m => TensorLayout.ByteSize(m.Weight) ?? 0);
        var copies = uses.Select(g => g.Count()).ToArray();
        long Bytes(int layer, int b) => copies[layer] * MatMulNBitsPacker.ByteCount(layers[layer].K, layers[layer].N, b, BlockOf(layers[layer]), symmetric);
        // The knapsack's weight: bytes, or microseconds of a run at each width. Subgraph MatMuls stay at the fewest bits.
        var objective = latency
            ? MixedPrecisionBudget.Latency(model, recipe, uses.Select(g => (IReadOnlyList<WeightedMatMul>)g.ToList()).ToList(), bits, ratio,
                (b, fused) => MatMulNBitsQuantizer.Quantize(model, recipe, quantizerOptions with
                {
                    BitsOf = m => m.Scope.IsMain ? b : bits[0], FuseSharedInput = fused && quantizerOptions.FuseSharedInput,
                }, cancellationToken).Model,
                calibration, ProgressRange.Of(progress, 0.9, 0.05), cancellationToken)
            : MixedPrecisionBudget.Size(Enumerable.Range(0, layers.Count).Select(i => bits.Select(b => (double)Bytes(i, b)).ToArray()).ToArray(), fp32, ratio);
        var (level, total, fewestTotal) = objective.Allocate(noise);

        var chosen = layers.Select((m, i) => (m.WeightName, Bits: bits[level[i]], Noise: noise[i, 0])).ToDictionary(c => c.WeightName);
        var result = Run(m => chosen.TryGetValue(m.WeightName, out var c) ? c.Bits : bits[0]);
        var nodes = result.Nodes.Select(n =>
            matMuls.FirstOrDefault(m => m.ReportName == n.Name) is { } m && chosen.TryGetValue(m.WeightName, out var c)
                ? n with { Sensitivity = c.Noise }
                : n).ToList();
        var warnings = result.Warnings.ToList();
        if (grouped)
            warnings.Add($"Mixed precision: {layers.Count} MatMul weights are more than {maxMeasuredWeights} to run one by one; they " +
                $"were measured in {Math.Max(1, maxMeasuredWeights)} groups of consecutive weights, each group's output noise shared in " +
                "proportion to its weights' own relative output errors.");
        var counts = string.Join(", ", bits.Select(b => $"{level.Count(l => bits[l] == b)} at {b} bits"));
        double reached = (double)MatMulNBitsQuantizer.PackedWeightBytes(result.Model) / Math.Max(1, fp32);
        if (latency)
            warnings.Add(total <= objective.Budget
                ? $"Mixed precision (latency): {counts} of {layers.Count} MatMul weights; predicted {total / 1000:F2} ms per run against a budget " +
                  $"of {objective.Budget / 1000:F2} ms ({ratio:F3}x fp32's {objective.Reference / 1000:F2} ms on a calibration sample); weights {reached:F3}x their fp32 bytes."
                : $"Mixed precision (latency): the latency budget {ratio:F3}x of fp32's {objective.Reference / 1000:F2} ms cannot be met; with every " +
                  $"MatMul weight at {bits[0]} bits a run takes {fewestTotal / 1000:F2} ms ({counts} of {layers.Count} after upgrades that cost no time: " +
                  $"predicted {total / 1000:F2} ms).");
        else
            warnings.Add(total <= objective.Budget
                ? $"Mixed precision: {counts} of {layers.Count} MatMul weights; they take {reached:F3}x their fp32 bytes (budget {ratio:F3}x)."
                : $"Mixed precision: the size budget {ratio:F3}x cannot be met; even with every MatMul weight at {bits[0]} bits they " +
                  $"take {fewestTotal / Math.Max(1, fp32):F3}x their fp32 bytes.");
        progress?.Report(1.0);
        return result with { Nodes = nodes, Warnings = warnings, Search = PredictedFront(objective, noise, level, (i, l) => Bytes(i, bits[l]), fp32, latency) };
    }

    /// <summary>
    /// The search section of the report: the greedy's allocations from fewest to most bits as predicted points (weights'
    /// bytes against fp32's; noise of the weights added up as output SQNR; speedup over fp32 for a latency objective).
    /// </summary>
    private static SearchReport PredictedFront(MixedPrecisionBudget objective, double[,] noise, int[] chosen,
        Func<int, int, long> bytes, long fp32, bool latency)
    {
        SearchPoint Point(int[] levels)
        {
            double total = levels.Select((l, i) => noise[i, l]).Sum();
            double size = levels.Select((l, i) => (double)bytes(i, l)).Sum() / Math.Max(1, fp32);
            return new SearchPoint(Math.Round(size, 4), latency ? Math.Round(objective.Reference / objective.CostOf(levels), 3) : null,
                Math.Round(total > 0 ? -10 * Math.Log10(total) : FidelityEvaluator.SqnrCeilingDb, 2));
        }
        // Under a budget the greedy may skip an upgrade that does not fit and take a cheaper one: the chosen allocation
        // need not lie on the unbounded path, so it is a candidate of its own.
        var tried = objective.UpgradePath(noise).Select(Point).Append(Point(chosen)).Distinct().ToList();
        return ParetoFront.Of(tried, Point(chosen), predicted: true);
    }

    /// <summary>
    /// Output noise (1 / SQNR) with only one weight, or one group of consecutive weights, quantized at the fewest bits, run
    /// on a few calibration samples. [weight, candidate]: a weight measured alone has 4^-b of its noise at b more bits;
    /// within a group, each weight gets the group's noise times its share of the group's local error at each width.
    /// </summary>
    private static double[,] MeasuredNoise(OnnxModel model, IReadOnlyList<WeightedMatMul> layers, int[] bits,
        Func<Func<WeightedMatMul, int?>, QuantizedModel> run, SampleFeed calibration, SensitivityFallbackOptions options,
        int groups, double[,]? local, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        using var sessions = new CandidateSessions(model, options.Threads);
        var outputs = new ReferenceOutputs(sessions.Reference, calibration.Samples().Take(Math.Max(1, options.SensitivitySamples)).ToList(), cancellationToken);
        var noise = new double[layers.Count, bits.Length];
        int count = local is null ? layers.Count : Math.Min(groups, layers.Count);
        for (int g = 0; g < count; g++)
        {
            int first = layers.Count * g / count, end = layers.Count * (g + 1) / count;
            var members = layers.Skip(first).Take(end - first).Select(m => m.WeightName).ToHashSet(StringComparer.Ordinal);
            using var candidate = sessions.Open(run(m => members.Contains(m.WeightName) ? bits[0] : null).Model);
            double fewest = Math.Pow(10, -outputs.MinSqnrDb(candidate, cancellationToken) / 10);
            if (local is null)
                for (int l = 0; l < bits.Length; l++)
                    noise[first, l] = fewest * Math.Pow(4, bits[0] - bits[l]);
            else
                LocalNoise.Share(fewest, local, first, end, bits, noise);
            progress?.Report((double)(g + 1) / count);
        }
        return noise;
    }
}
