using Qaas.Api.Jobs;
using System.Text.Json;
using Qaas.Onnx.Io;
using Qaas.Quantization.Datasets;
using Qaas.Quantization.Evaluation;
using Qaas.Quantization.Pipeline;

namespace Qaas.Api.Pipeline.Stages;

/// <summary>
/// Calibrates (when the recipe quantizes activations statically) and rewrites the model as the recipe says, then
/// writes model.onnx (and model.onnx.data when the weights need it) as artifacts.
/// </summary>
public sealed class QuantizeStage : IJobStage
{
    internal const int SyntheticSamples = 8;
    // How often what calibration and search measured is saved while they run (a calibration of the detector takes a few
    // seconds, its acceptance search half a minute).
    private static readonly TimeSpan CheckpointEvery = TimeSpan.FromSeconds(10);

    public string Name => "quantize";

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var path = context.ModelPath ?? throw new InvalidOperationException("The load stage did not run.");
        var summary = context.Original ?? throw new InvalidOperationException("The analyze stage did not run.");
        var model = OnnxModel.Load(path);
        var recipe = context.Recipe;

        SampleFeed? calibration = null;
        if (Quantizers.NeedsCalibration(recipe))
        {
            calibration = CalibrationFeed(context, summary.Inputs, model);
            await context.Reporter.LogAsync("info", $"Calibrating on {calibration.Count} sample(s) ({recipe.Activations?.Calibration ?? "minmax"}).", ct);
        }

        // What calibration and search measure: a restarted run takes over its earlier run's; this run's are kept for the next.
        var checkpoint = context.Services.GetRequiredService<QuantizeCheckpoint>();
        var measured = context.Recovering ? await checkpoint.LoadAsync(context.Job.Id, ct) : QuantizeCheckpoint.Empty();
        if (measured.Count > 0)
            await context.Reporter.LogAsync("info", $"Resuming with the {measured.Count} statistic(s) the earlier run measured (calibration ranges, sensitivities).", ct);
        var progress = new StageProgress(context.Reporter, ct);
        QuantizedModel quantized;
        using (var saving = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var saver = checkpoint.SavePeriodicallyAsync(context.Job.Id, measured, CheckpointEvery,
                context.Services.GetRequiredService<ILogger<QuantizeStage>>(), saving.Token);
            try
            {
                quantized = await Task.Run(() => Quantizers.Run(model, recipe, calibration, progress, ct, measured.Statistics, measured.Sensitivities), ct);
            }
            finally
            {
                await saving.CancelAsync();
                await saver;
            }
        }
        await checkpoint.SaveAsync(context.Job.Id, measured, ct);
        // The stage's own warnings only where the quantizer has not already said the same in its terms.
        if (calibration is { Synthetic: true } && !Mentions(quantized.Warnings, "synthetic"))
            context.Warnings.Add($"No calibration dataset was given: the quantizer's statistics come from {calibration.Count} synthesized inputs, which rarely match real data.");
        context.Warnings.AddRange(quantized.Warnings);
        if (quantized.Simulated && !Mentions(quantized.Warnings, "simulated"))
            context.Warnings.Add("ONNX Runtime cannot execute this format natively: it is emitted as an exact dequantize graph (simulated), so expect size gains, not speed.");

        var folder = Path.Combine(context.WorkDirectory, "quantized");
        var file = OnnxModel.FromProto(quantized.Model).SaveToFolder(folder, new ModelSaveOptions { FileName = "model.onnx" });
        context.Quantized = quantized;
        context.QuantizedPath = file;
        context.Artifacts["model.onnx"] = (file, "application/octet-stream");
        var data = Path.Combine(folder, "model.onnx.data");
        if (File.Exists(data)) context.Artifacts["model.onnx.data"] = (data, "application/octet-stream");
        await context.Reporter.LogAsync("info", $"Quantized {quantized.Nodes.Count} node(s); model.onnx is {new FileInfo(file).Length} bytes.", ct);
        await context.Reporter.ProgressAsync(1, ct);
    }

    /// <summary>The calibration dataset less the samples held back for evaluation, or synthesized inputs.</summary>
    internal static SampleFeed CalibrationFeed(JobContext context, IReadOnlyList<Qaas.Onnx.Summary.TensorSpec> inputs, OnnxModel model)
    {
        if (context.Calibration is { } c)
            return DatasetFeed.From(() => DatasetFiles.Open(c.Path), inputs, 0, c.Samples - HeldBack(context));
        return Synthesized(context, model, seedOffset: 0);
    }

    /// <summary>Without an evaluation dataset, a fifth of the calibration samples (at least one) is kept for evaluation.</summary>
    internal static int HeldBack(JobContext context) =>
        context.Evaluation is null && context.Calibration is { Samples: >= 2 } c ? Math.Max(1, c.Samples / 5) : 0;

    /// <summary>The inputs a job makes up without a dataset: calibration takes seed offset 0, evaluation 1 (other samples).</summary>
    internal static SampleFeed Synthesized(JobContext context, OnnxModel model, int seedOffset) =>
        InputSynthesizer.FromModel(model.Proto, SyntheticSamples, (context.Recipe.Seed ?? 0) + seedOffset, InputShapes(context));

    internal static IReadOnlyDictionary<string, long[]>? InputShapes(JobContext context) =>
        context.Job.InputShapes is { } json ? JsonSerializer.Deserialize<Dictionary<string, long[]>>(json) : null;

    static bool Mentions(IEnumerable<string> warnings, string word) =>
        warnings.Any(w => w.Contains(word, StringComparison.OrdinalIgnoreCase));

    sealed class StageProgress(IJobReporter reporter, CancellationToken ct) : IProgress<double>
    {
        public void Report(double value) => _ = reporter.ProgressAsync(Math.Clamp(value, 0, 0.99), ct);
    }
}
