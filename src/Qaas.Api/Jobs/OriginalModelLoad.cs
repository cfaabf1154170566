using Qaas.Runtime;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Api.Jobs;

/// <summary>
/// Tells, after a job failed on an ONNX Runtime error, whether ONNX Runtime refuses the uploaded model itself (the
/// input's problem: an unknown operator, an invalid graph, or, on synthesized inputs, indices out of range) or whether
/// the failure came from what the job made of it (ours). Only runs on that failure path, so a healthy job pays nothing.
/// </summary>
public static class OriginalModelLoad
{
    /// <summary>The check for a job: the original model loaded and run on the first input the job fed it.</summary>
    public static string? RefusalFor(Pipeline.JobContext context, string modelPath) =>
        Refusal(modelPath, () => FirstSample(context, modelPath), SampleSource(context));

    /// <param name="sample">Inputs to run the original on as well (the first the job fed it); null: loading only.</param>
    /// <param name="source">Where that sample came from, for the message ("the synthesized inputs").</param>
    /// <returns>Why ONNX Runtime refuses the original model, or null when it loads (and runs the sample), or when the
    /// check itself cannot run (e.g. a main file too large to read at once: the failure then stays the service's).</returns>
    public static string? Refusal(string modelPath, Func<IReadOnlyDictionary<string, Tensor>?> sample, string source)
    {
        InferenceSession session;
        try
        {
            session = InferenceSession.Create(File.ReadAllBytes(modelPath),
                new InferenceSessionOptions { IntraOpThreads = 1, ExternalDataDirectory = Path.GetDirectoryName(modelPath) });
        }
        catch (OrtException e)
        {
            return $"ONNX Runtime refuses the uploaded model itself, not only what the job made of it: {e.OrtMessage}";
        }
        catch (Exception e) when (e is IOException or OutOfMemoryException or UnauthorizedAccessException)
        {
            return null;
        }
        using (session)
        {
            IReadOnlyDictionary<string, Tensor>? inputs;
            try { inputs = sample(); }
#pragma warning disable CA1031 // whatever keeps a sample from being made, the check has nothing more to tell
            catch (Exception) { return null; }
#pragma warning restore CA1031
            if (inputs is null)
                return null;
            try
            {
                session.Run(inputs);
                return null;
            }
            catch (OrtException e)
            {
                return $"ONNX Runtime cannot run the uploaded model itself on {source}: {e.OrtMessage}";
            }
        }
    }

    /// <summary>The first input the job fed the model: its dataset's first sample, else the first it synthesized.</summary>
    private static IReadOnlyDictionary<string, Tensor>? FirstSample(Pipeline.JobContext context, string modelPath)
    {
        if ((context.Calibration ?? context.Evaluation) is { } dataset && context.Original is { } original)
            return Quantization.Pipeline.DatasetFeed.From(() => Quantization.Datasets.DatasetFiles.Open(dataset.Path), original.Inputs,
                take: 1).Samples().First();
        return Pipeline.Stages.QuantizeStage.Synthesized(context, Onnx.Io.OnnxModel.Load(modelPath), seedOffset: 1).Samples().First();
    }

    private static string SampleSource(Pipeline.JobContext context) =>
        context.Calibration is not null ? "the first sample of its calibration dataset; check the dataset's values"
        : context.Evaluation is not null ? "the first sample of its evaluation dataset; check the dataset's values"
        : "the synthesized inputs; give a calibration or evaluation dataset of real inputs";
}
