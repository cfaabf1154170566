using Qaas.Onnx.Io;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Transforms;
using Qaas.Quantization.WeightOnly;

namespace Qaas.Quantization.Search;

/// <summary>
/// A weight's sensitivity from its own MatMuls alone: the relative output error its rounding causes,
/// sum_j E[x_j^2] sum_n (w_jn - q_jn)^2 / sum_j E[x_j^2] sum_n w_jn^2, with E[x_j^2] of each MatMul's input channel j
/// measured on the calibration samples (the diagonal of X^T X; cross terms ignored), summed over the MatMuls that read the
/// weight. It does not see how the error travels to the model's outputs, but costs one pass instead of one model run
/// per weight.
/// </summary>
public static class LocalNoise
{
    /// <summary>MatMul inputs captured per calibration pass.</summary>
    public const int InputsPerPass = 16;

    /// <summary>
    /// A group's measured noise (one run with all its weights at the fewest bits) shared among its weights
    /// [first, end) in proportion to their local errors at each width; evenly, with 4^-b per extra bit, when the group
    /// has no local error at all. A weight without a local error of its own gets the group's smallest nonzero share,
    /// so that it is not taken for free of noise.
    /// </summary>
    public static void Share(double groupNoise, double[,] local, int first, int end, int[] bits, double[,] into)
    {
        double sum = 0, smallest = double.PositiveInfinity;
        for (int i = first; i < end; i++)
        {
            sum += local[i, 0];
            if (local[i, 0] > 0) smallest = Math.Min(smallest, local[i, 0]);
        }
        for (int i = first; i < end; i++)
            for (int l = 0; l < bits.Length; l++)
                into[i, l] = sum <= 0 ? groupNoise * Math.Pow(4, bits[0] - bits[l]) / (end - first)
                    : local[i, 0] > 0 ? groupNoise * local[i, l] / sum
                    : groupNoise * smallest / sum * Math.Pow(4, bits[0] - bits[l]);
    }

    /// <param name="uses">Per weight, the main-graph MatMuls that read it.</param>
    /// <param name="roundTrip">The quantizer's rounding of a weight read by a MatMul, to b bits, dequantized.</param>
    /// <returns>[weight, candidate] relative output error.</returns>
    public static double[,] Estimate(OnnxModel model, IReadOnlyList<IReadOnlyList<WeightedMatMul>> uses, int[] bits,
        Func<float[], WeightedMatMul, int, float[]> roundTrip, SampleFeed calibration, IProgress<double>? progress,
        CancellationToken cancellationToken)
    {
        var energy = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var inputs = uses.SelectMany(u => u).Select(m => m.Input).Distinct().ToList();
        // A few inputs per pass: capturing every MatMul input of a large model at once would hold all its activations.
        for (int first = 0; first < inputs.Count; first += InputsPerPass)
        {
            var batch = inputs.Skip(first).Take(InputsPerPass).ToList();
            foreach (var (name, e) in ChannelStatistics.Measure(model, batch, calibration, ChannelAxis.Last, ChannelReduction.MeanSquare,
                         cancellationToken))
                energy[name] = e;
            progress?.Report(0.5 * Math.Min(inputs.Count, first + InputsPerPass) / inputs.Count);
        }

        var noise = new double[uses.Count, bits.Length];
        for (int i = 0; i < uses.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var first = uses[i][0];
            var w = first.ReadWeight(model);
            for (int l = 0; l < bits.Length; l++)
            {
                var q = roundTrip(w, first, bits[l]);
                foreach (var m in uses[i])
                    if (energy.TryGetValue(m.Input, out var e) && e.Length == m.K)
                        noise[i, l] += RelativeError(w, q, e, m.K, m.N);
            }
            progress?.Report(0.5 + 0.5 * (i + 1) / uses.Count);
        }
        return noise;
    }

    private static double RelativeError(float[] w, float[] q, double[] energy, int k, int n)
    {
        double error = 0, signal = 0;
        for (int j = 0; j < k; j++)
        {
            double rowError = 0, rowSignal = 0;
            for (int c = 0; c < n; c++)
            {
                double d = q[j * n + c] - w[j * n + c];
                rowError += d * d;
                rowSignal += (double)w[j * n + c] * w[j * n + c];
            }
            error += energy[j] * rowError;
            signal += energy[j] * rowSignal;
        }
        return signal > 0 ? error / signal : 0;
    }
}
