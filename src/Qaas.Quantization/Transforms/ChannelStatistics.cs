using System.Numerics.Tensors;
using Qaas.Onnx.Io;
using Qaas.Quantization.Pipeline;

namespace Qaas.Quantization.Transforms;

/// <summary>Which axis of a tensor holds its channels: 1 (C of NCHW, K of a [M, K] Gemm input) or the last (a transformer's hidden size).</summary>
public enum ChannelAxis { Second, Last }

/// <summary>What is kept per channel over every sample: the mean, the mean square, or the largest magnitude.</summary>
public enum ChannelReduction { Mean, MeanSquare, AbsMax }

/// <summary>One statistic per channel of chosen float tensors over a sample feed (<see cref="TensorSweep"/>).</summary>
public static class ChannelStatistics
{
    public static IReadOnlyDictionary<string, double[]> Measure(OnnxModel model, IReadOnlyCollection<string> tensors, SampleFeed feed,
        ChannelAxis axis, ChannelReduction reduction, CancellationToken cancellationToken = default)
    {
        var totals = new Dictionary<string, double[]>(StringComparer.Ordinal);
        int samples = TensorSweep.Run(model, tensors, feed, (name, shape, values) => Add(totals, name, shape, values, axis, reduction),
            cancellationToken);
        return reduction == ChannelReduction.AbsMax
            ? totals
            : totals.ToDictionary(kv => kv.Key, kv => kv.Value.Select(s => s / Math.Max(1, samples)).ToArray(), StringComparer.Ordinal);
    }

    // Folds one sample in: its per-channel mean or mean square (added up; divided by the sample count at the end) or
    // largest magnitude.
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
                    var slice = x.Slice(checked((int)start), checked((int)inner));
                    double sum = reduction == ChannelReduction.Mean ? TensorPrimitives.Sum(slice) : TensorPrimitives.SumOfSquares(slice);
                    total[c] += sum / (inner * outer);
                }
            }
    }
}
