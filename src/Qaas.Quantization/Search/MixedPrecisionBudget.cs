using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Evaluation;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Search;

/// <summary>
/// The mixed-precision knapsack: what each weight costs at each candidate width, the budget their sum (plus
/// <see cref="Base"/>) must stay within, and the greedy allocation. Bytes for the "size" objective; microseconds of a
/// run for "latency".
/// </summary>
/// <param name="Costs">[weight][candidate].</param>
/// <param name="Base">What the model costs besides the weights' own costs.</param>
/// <param name="Reference">The fp32 model's cost, which the budget is a ratio of.</param>
internal sealed record MixedPrecisionBudget(double[][] Costs, double Base, double Budget, double Reference)
{
    public static MixedPrecisionBudget Size(double[][] bytes, double fp32Bytes, double ratio) => new(bytes, 0, ratio * fp32Bytes, fp32Bytes);

    /// <summary>
    /// Microseconds per run on the first calibration sample, with the recipe's evaluation threads. The profiler
    /// (<see cref="LatencyCosts.Measure"/>, unfused models) splits time among the weights, but it slows kernels and
    /// times them from cache; so the delivered models at each width are timed as they run in use, taking turns with the
    /// fp32 model (<see cref="LatencyBenchmark"/>: its weights push theirs out of the caches, as a model much larger than
    /// a quantized one does in use), and that difference is shared out by the profile
    /// (<see cref="Shares"/>): an all-one-width choice is predicted as measured.
    /// </summary>
    /// <param name="modelAt">The model with every main-graph weight at a width, unfused (false) or as delivered (true).</param>
    public static MixedPrecisionBudget Latency(OnnxModel model, Recipe recipe, IReadOnlyList<IReadOnlyList<WeightedMatMul>> uses,
        int[] bits, double ratio, Func<int, bool, ModelProto> modelAt, SampleFeed calibration, IProgress<double>? progress,
        CancellationToken cancellationToken)
    {
        var sample = calibration.Samples().FirstOrDefault()
            ?? throw new ArgumentException("A latency budget is judged on a calibration sample, and the calibration set is empty.", nameof(calibration));
        var runtime = EvaluationRuntime.From(recipe.Evaluation);
        var options = runtime.SessionOptions(model.Files is null ? null : Path.GetDirectoryName(model.Files.MainFile));
        var profiled = bits.Length > 1 ? LatencyCosts.Measure(uses, bits, b => modelAt(b, false), sample, options, cancellationToken) : new double[uses.Count, 1];
        progress?.Report(0.5);
        using var reference = InferenceSession.Create(model.Proto.ToByteArray(), options);
        var timings = bits.Select(b =>
        {
            using var candidate = InferenceSession.Create(modelAt(b, true).ToByteArray(), options);
            return LatencyBenchmark.Measure(reference, candidate, sample, runtime.Threads, cancellationToken: cancellationToken);
        }).ToList();
        progress?.Report(1);
        double fp32 = 1000 * timings.Average(t => t.Original.P50Ms);
        var widths = timings.Select(t => 1000 * t.Quantized.P50Ms).ToList();
        var sizes = uses.Select(u => (double)u[0].K * u[0].N * u.Count).ToArray();
        return new MixedPrecisionBudget(Shares(profiled, widths, sizes), widths[0], ratio * fp32, fp32);
    }

    /// <summary>
    /// Each weight's cost at each width against the fewest bits: the measured whole-model difference of that width,
    /// shared among the weights in proportion to their profiled differences of the same sign (by size when none has
    /// that sign). Every share then has the measured difference's sign, so one weight's profiling noise can neither
    /// make another's upgrade look free nor blow a near-cancelling sum up.
    /// </summary>
    /// <param name="profiled">[weight, width] kernel microseconds.</param>
    /// <param name="measured">Whole-model microseconds per width.</param>
    /// <param name="sizes">Per weight, a size to share by when the profile cannot.</param>
    public static double[][] Shares(double[,] profiled, IReadOnlyList<double> measured, IReadOnlyList<double> sizes)
    {
        int weights = sizes.Count;
        var costs = Enumerable.Range(0, weights).Select(_ => new double[measured.Count]).ToArray();
        for (int b = 1; b < measured.Count; b++)
        {
            double difference = measured[b] - measured[0];
            var alike = Enumerable.Range(0, weights).Select(w => Math.Max(0, Math.Sign(difference) * (profiled[w, b] - profiled[w, 0]))).ToArray();
            double sum = alike.Sum();
            var basis = sum > 0 ? alike : sizes.ToArray();
            double total = sum > 0 ? sum : sizes.Sum();
            for (int w = 0; w < weights; w++)
                costs[w][b] = total > 0 ? difference * basis[w] / total : 0;
        }
        return costs;
    }

    /// <summary>
    /// Greedy multiple-choice knapsack from all-fewest-bits: take the upgrade with the most noise removed per unit of
    /// cost while it fits; an upgrade that saves cost is always taken.
    /// </summary>
    /// <param name="noise">[weight, candidate] output noise.</param>
    /// <returns>Each weight's candidate index, the total cost chosen, and that of all-fewest-bits.</returns>
    /// <summary>
    /// The allocations <see cref="Allocate"/>'s greedy passes through with no budget: from every weight at the fewest
    /// bits to every weight at the most, one upgrade at a time, best noise removed per cost first. Each is a point of
    /// the predicted size (or time) against noise trade-off.
    /// </summary>
    public IReadOnlyList<int[]> UpgradePath(double[,] noise) => (this with { Budget = double.PositiveInfinity }).Upgrades(noise).Steps;

    public (int[] Levels, double Total, double Fewest) Allocate(double[,] noise)
    {
        var (levels, total, fewest, _) = Upgrades(noise);
        return (levels, total, fewest);
    }

    private (int[] Levels, double Total, double Fewest, List<int[]> Steps) Upgrades(double[,] noise)
    {
        int weights = Costs.Length, widths = noise.GetLength(1);
        var level = new int[weights];
        double fewest = Base + Costs.Sum(c => c[0]), total = fewest;
        var steps = new List<int[]> { (int[])level.Clone() };
        while (true)
        {
            int best = -1;
            double bestGain = 0, bestCost = 0;
            for (int i = 0; i < weights; i++)
            {
                if (level[i] + 1 >= widths) continue;
                double cost = Costs[i][level[i] + 1] - Costs[i][level[i]];
                if (cost > 0 && total + cost > Budget) continue;
                double removed = noise[i, level[i]] - noise[i, level[i] + 1];
                double gain = cost <= 0 ? double.MaxValue : removed / cost;
                if (gain > bestGain) (best, bestGain, bestCost) = (i, gain, cost);
            }
            if (best < 0) break;
            level[best]++;
            total += bestCost;
            steps.Add((int[])level.Clone());
        }
        return (level, total, fewest, steps);
    }

    /// <summary>The predicted cost of an allocation: bytes, or microseconds per run.</summary>
    public double CostOf(int[] levels) => Base + levels.Select((l, i) => Costs[i][l]).Sum();
}
