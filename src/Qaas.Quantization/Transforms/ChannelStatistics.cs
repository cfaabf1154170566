using System.Numerics.Tensors;
using Qaas.Onnx.Io;
using Qaas.Quantization.Calibration;
using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Transforms;

/// <summary>Which axis of a tensor holds its channels: 1 (C of NCHW, K of a [M, K] Gemm input) or the last (a transformer's hidden size).</summary>
public enum ChannelAxis { Second, Last }

/// <summary>What is kept per channel over every sample: the mean, or the largest magnitude.</summary>
public enum ChannelReduction { Mean, AbsMax }

/// <summary>
/// One statistic per channel of chosen float tensors over a sample feed, captured from one ONNX Runtime session.
/// Memory is one capture of the tensors, whatever the sample count.
/// </summary>
public static class ChannelStatistics
{
    public static IReadOnlyDictionary<string, double[]> Measure(OnnxModel model, IReadOnlyCollection<string> tensors, SampleFeed feed,
        ChannelAxis axis, ChannelReduction reduction, CancellationToken cancellationToken = default)
    {
        var graphInputs = model.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var fromSession = tensors.Where(t => !graphInputs.Contains(t)).Distinct().ToList();
        var fromFeed = tensors.Where(graphInputs.Contains).Distinct().ToList();
        var totals = new Dictionary<string, double[]>(StringComparer.Ordinal);
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
            foreach (var name in fromFeed)
                if (sample.TryGetValue(name, out var input))
                    Add(totals, name, input.Shape, input.AsSpan<float>(), axis, reduction);
            for (int i = 0; i < fromSession.Count; i++)
                Add(totals, fromSession[i], capture![i].Shape, capture[i].AsSpan<float>(), axis, reduction);
            samples++;
        }
        return reduction == ChannelReduction.AbsMax
            ? totals
            : totals.ToDictionary(kv => kv.Key, kv => kv.Value.Select(s => s / Math.Max(1, samples)).ToArray(), StringComparer.Ordinal);
    }

    // Folds one sample in: its per-channel mean (added up; divided by the sample count at the end) or largest magnitude.
    private static void Add(Dictionary<string, double[]> totals, string name, IReadOnlyList<long> shape, ReadOnlySpan<float> x,
        ChannelAxis axis, ChannelReduction reduction)
    {
        if (shape.Count < 2 || x.IsEmpty)
            return;
        int channelAxis = axis == ChannelAxis.Second ? 1 : shape.Count - 1;
        int channels = checked((int)shape[channelAxis]);
        long outer = 1, inner = 1;
        for (int d = 0; d < channelAxis; d++) outer *= shape[d];
        for (int d = channelAxis + 1; d < shape.Count; d++) inner *= shape[d];
        if (!totals.TryGetValue(name, out var total))
            totals[name] = total = new double[channels];
        else if (total.Length != channels)
            return; // a tensor whose channel count changes between samples has no single per-channel statistic
        for (long o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
            {
                long start = (o * channels + c) * inner;
                if (reduction == ChannelReduction.AbsMax)
                {
                    float largest = inner == 1 ? MathF.Abs(x[checked((int)start)])
                        : MathF.Abs(TensorPrimitives.MaxMagnitude(x.Slice(checked((int)start), checked((int)inner))));
                    if (largest > total[c]) total[c] = largest;
                }
                else
                {
                    total[c] += TensorPrimitives.Sum(x.Slice(checked((int)start), checked((int)inner))) / (double)(inner * outer);
                }
            }
    }
}
