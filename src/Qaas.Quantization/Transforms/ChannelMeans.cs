using System.Numerics.Tensors;
using Qaas.Onnx.Io;
using Qaas.Quantization.Calibration;
using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Transforms;

/// <summary>
/// Mean of every channel (axis 1: C of NCHW, K of a [M, K] Gemm input) of chosen float tensors over a sample feed,
/// captured from one ONNX Runtime session. Memory is one capture of the tensors, whatever the sample count.
/// </summary>
public static class ChannelMeans
{
    public static IReadOnlyDictionary<string, double[]> Measure(OnnxModel model, IReadOnlyCollection<string> tensors, SampleFeed feed,
        CancellationToken cancellationToken = default)
    {
        var graphInputs = model.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var fromSession = tensors.Where(t => !graphInputs.Contains(t)).Distinct().ToList();
        var sums = new Dictionary<string, double[]>(StringComparer.Ordinal);
        int samples = 0;
        var options = new InferenceSessionOptions
        {
            IntraOpThreads = CalibrationRunner.SessionThreads,
            InterOpThreads = 1,
            AllowSpinning = false,
            ExternalDataDirectory = model.Files is null ? null : Path.GetDirectoryName(model.Files.MainFile),
        };
        // Graph inputs come straight from the feed; a session is only needed for the others.
        using var session = fromSession.Count > 0 ? InferenceSession.Create(CalibrationRunner.WithOutputs(model.Proto, fromSession), options) : null;
        using var capture = session?.CreateCapture(fromSession);
        foreach (var sample in feed.Samples())
        {
            cancellationToken.ThrowIfCancellationRequested();
            capture?.Run(sample, cancellationToken);
            foreach (var name in tensors.Where(graphInputs.Contains).Distinct())
                if (sample.TryGetValue(name, out var input))
                    Add(sums, name, input.Shape, input.AsSpan<float>());
            for (int i = 0; i < fromSession.Count; i++)
                Add(sums, fromSession[i], capture![i].Shape, capture[i].AsSpan<float>());
            samples++;
        }
        return sums.ToDictionary(kv => kv.Key, kv => kv.Value.Select(s => s / Math.Max(1, samples)).ToArray(), StringComparer.Ordinal);
    }

    // Adds this sample's per-channel means (each channel averaged over the batch and every axis after it).
    private static void Add(Dictionary<string, double[]> sums, string name, IReadOnlyList<long> shape, ReadOnlySpan<float> x)
    {
        if (shape.Count < 2 || x.IsEmpty)
            return;
        int channels = checked((int)shape[1]);
        long inner = 1;
        for (int d = 2; d < shape.Count; d++) inner *= shape[d];
        long batch = shape[0];
        if (!sums.TryGetValue(name, out var sum))
            sums[name] = sum = new double[channels];
        else if (sum.Length != channels)
            return; // a tensor whose channel count changes between samples has no single per-channel mean
        for (long n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
                sum[c] += TensorPrimitives.Sum(x.Slice(checked((int)((n * channels + c) * inner)), checked((int)inner))) / (double)(inner * batch);
    }
}
