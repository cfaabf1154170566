using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Evaluation;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;

namespace Qaas.Quantization.Search;

/// <summary>
/// The mixed-precision knapsack's weights: what each weight costs at each candidate width, and the budget their sum
/// (plus <see cref="Base"/>) must stay within. Bytes for the "size" objective; microseconds of a run for "latency".
/// </summary>
/// <param name="Costs">[weight][candidate].</param>
/// <param name="Base">What the model costs besides the weights' own costs.</param>
/// <param name="Reference">The fp32 model's cost, which the budget is a ratio of.</param>
internal sealed record MixedPrecisionBudget(double[][] Costs, double Base, double Budget, double Reference)
{
    public static MixedPrecisionBudget Size(double[][] bytes, double fp32Bytes, double ratio) => new(bytes, 0, ratio * fp32Bytes, fp32Bytes);

    /// <summary>
    /// Microseconds per run on the first calibration sample, with the recipe's evaluation threads. The profiler
    /// (<see cref="LatencyCosts.Measure"/>) splits time among the weights, but it slows kernels and times them from
    /// cache; so the whole models at each width are timed as they run in use
    /// (<see cref="LatencyCosts.AlternatingMedianMilliseconds"/>), and each width's profiled differences from the fewest
    /// bits are scaled to add up to the measured difference: an all-one-width choice is predicted as measured.
    /// </summary>
    public static MixedPrecisionBudget Latency(OnnxModel model, Recipe recipe, IReadOnlyList<IReadOnlyList<WeightedMatMul>> uses,
        int[] bits, double ratio, Func<int, ModelProto> modelAt, SampleFeed calibration, CancellationToken cancellationToken)
    {
        var sample = calibration.Samples().First();
        var options = EvaluationRuntime.From(recipe.Evaluation).SessionOptions(model.Files is null ? null : Path.GetDirectoryName(model.Files.MainFile));
        var profiled = LatencyCosts.Measure(uses, bits, modelAt, sample, options, cancellationToken);
        var medians = LatencyCosts.AlternatingMedianMilliseconds(model.Proto, bits.Select(modelAt).ToList(), sample, options, cancellationToken)
            .Select(ms => 1000 * ms).ToArray();
        double fp32 = medians[0], fewest = medians[1];
        var costs = Enumerable.Range(0, uses.Count).Select(_ => new double[bits.Length]).ToArray();
        for (int b = 1; b < bits.Length; b++)
        {
            double measured = medians[b + 1] - fewest;
            double profiledDelta = Enumerable.Range(0, uses.Count).Sum(w => profiled[w, b] - profiled[w, 0]);
            double scale = profiledDelta != 0 ? measured / profiledDelta : 0;
            // A profile that disagrees with the measurement in sign says nothing about the split: share by weight size.
            double elements = uses.Sum(u => (double)u[0].K * u[0].N * u.Count);
            for (int w = 0; w < uses.Count; w++)
                costs[w][b] = scale > 0
                    ? scale * (profiled[w, b] - profiled[w, 0])
                    : measured * uses[w][0].K * uses[w][0].N * uses[w].Count / elements;
        }
        return new MixedPrecisionBudget(costs, fewest, ratio * fp32, fp32);
    }
}
