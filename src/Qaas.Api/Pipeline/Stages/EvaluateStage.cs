using Qaas.Onnx.Io;
using Qaas.Onnx.Summary;
using Qaas.Quantization.Datasets;
using Qaas.Quantization.Evaluation;
using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Sessions;

namespace Qaas.Api.Pipeline.Stages;

/// <summary>
/// Compares the quantized model with the original on the evaluation data (the evaluation dataset, else the
/// calibration samples held back, else synthesized inputs): fidelity per output, accuracy with labels, and paired
/// latency with the same threads and execution provider.
/// </summary>
public sealed class EvaluateStage : IJobStage
{
    public string Name => "evaluate";

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var originalPath = context.ModelPath ?? throw new InvalidOperationException("The load stage did not run.");
        var quantizedPath = context.QuantizedPath ?? throw new InvalidOperationException("The quantize stage did not run.");
        var inputs = (context.Original ?? throw new InvalidOperationException("The analyze stage did not run.")).Inputs;
        var recipe = context.Recipe;
        var runtime = EvaluationRuntime.From(recipe.Evaluation);
        var (feed, labels, source) = EvaluationFeed(context, inputs, originalPath);
        if (recipe.Acceptance?.MaxAccuracyDrop is { } drop && labels is null)
            context.Warnings.Add($"acceptance.maxAccuracyDrop ({drop}) needs labels, and {source} has none: the check fails for want of " +
                "an accuracy. Give an evaluation (or calibration) dataset with a 'labels' array.");
        await context.Reporter.LogAsync("info", $"Evaluating on {feed.Count} sample(s) from {source}.", ct);

        await Task.Run(() =>
        {
            using var original = InferenceSession.Create(File.ReadAllBytes(originalPath), runtime.SessionOptions(Path.GetDirectoryName(originalPath)));
            using var quantized = InferenceSession.Create(File.ReadAllBytes(quantizedPath), runtime.SessionOptions(Path.GetDirectoryName(quantizedPath)));
            if (quantized.ExecutionProviderFallbackReason is { } reason)
                context.Warnings.Add($"Execution provider '{recipe.Evaluation?.ExecutionProvider}' was not available, measured on CPU: {reason}");
            foreach (var (name, fidelity) in FidelityEvaluator.Evaluate(original, quantized, feed, labels, ct))
                context.Fidelity[name] = fidelity;
            if (context.Fidelity.Count == 0)
                context.Warnings.Add($"The model has no floating-point output to compare ({string.Join(", ", original.Outputs.Select(o => $"{o.Name}: {o.ElementType}"))}), so no fidelity was measured.");
            if (recipe.Evaluation?.Latency != false)
            {
                var sample = feed.Samples().First();
                context.Latency = LatencyBenchmark.Measure(original, quantized, sample, runtime.Threads,
                    recipe.Evaluation?.Repeats ?? LatencyBenchmark.DefaultRepeats, cancellationToken: ct);
            }
        }, ct);

        if (context.Latency is { } measured && LatencySpread.Warning(measured) is { } disturbed)
            context.Warnings.Add(disturbed);
        if (context.Latency is { Speedup: < 1 } latency && context.Quantized is { Simulated: false })
            context.Warnings.Add($"The quantized model is slower than the original here (speedup {latency.Speedup:F2}x at {latency.Threads} thread(s), {latency.ExecutionProvider}).");
        await context.Reporter.ProgressAsync(1, ct);
    }

    static (SampleFeed Feed, IReadOnlyList<long[]>? Labels, string Source) EvaluationFeed(JobContext context, IReadOnlyList<TensorSpec> inputs, string modelPath)
    {
        if (context.Evaluation is { } e)
            return (DatasetFeed.From(() => DatasetFiles.Open(e.Path), inputs), Labels(e.Path, 0, e.Samples), "the evaluation dataset");
        if (context.Calibration is { } c)
        {
            var held = QuantizeStage.HeldBack(context);
            if (held > 0)
                return (DatasetFeed.From(() => DatasetFiles.Open(c.Path), inputs, c.Samples - held), Labels(c.Path, c.Samples - held, held),
                    $"{held} calibration sample(s) held back from calibration");
            context.Warnings.Add("Evaluated on the calibration sample itself (one sample, nothing to hold back): give an evaluation dataset for an honest measure.");
            return (DatasetFeed.From(() => DatasetFiles.Open(c.Path), inputs), Labels(c.Path, 0, c.Samples), "the calibration dataset");
        }
        context.Warnings.Add("No evaluation data was given: fidelity is measured on synthesized inputs, which may not reflect real data.");
        var model = OnnxModel.Load(modelPath);
        return (QuantizeStage.Synthesized(context, model, seedOffset: 1),
            null, "synthesized inputs");
    }

    /// <summary>The dataset's labels for samples [skip, skip + count), one row per sample.</summary>
    static IReadOnlyList<long[]>? Labels(string path, int skip, int count)
    {
        using var dataset = DatasetFiles.Open(path);
        if (dataset.ReadLabels() is not { } all || dataset.Description.Samples == 0) return null;
        var perSample = all.Length / dataset.Description.Samples;
        return [.. Enumerable.Range(skip, count).Select(i => all.AsSpan(i * perSample, perSample).ToArray())];
    }
}
