using Qaas.Onnx.Io;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Transforms;
using Qaas.Quantization.WeightOnly;

namespace Qaas.Quantization.Search;

/// <summary>
/// A weight's sensitivity from its own MatMuls alone: the relative output error its rounding causes,
/// sum_j E[x_j^2] sum_n (w_jn - q_jn)^2 / sum_j E[x_j^2] sum_n w_jn^2, with E[x_j^2] of each MatMul's input channel j
/// measured in one calibration pass (the diagonal of X^T X; cross terms ignored), summed over the MatMuls that read the
/// weight. It does not see how the error travels to the model's outputs, but costs one pass instead of one model run
/// per weight.
/// </summary>
public static class LocalNoise
{
    /// <param name="uses">Per weight, the main-graph MatMuls that read it.</param>
    /// <param name="roundTrip">The quantizer's rounding of a weight read by a MatMul, to b bits, dequantized.</param>
    /// <returns>[weight, candidate] relative output error.</returns>
    public static double[,] Estimate(OnnxModel model, IReadOnlyList<IReadOnlyList<WeightedMatMul>> uses, int[] bits,
        Func<float[], WeightedMatMul, int, float[]> roundTrip, SampleFeed calibration, IProgress<double>? progress,
        CancellationToken cancellationToken)
    {
        var energy = new Dictionary<string, double[]>(StringComparer.Ordinal);
        TensorSweep.Run(model, uses.SelectMany(u => u).Select(m => m.Input).Distinct().ToList(), calibration, (name, shape, x) =>
        {
            if (shape.Count == 0 || x.IsEmpty) return;
            int k = checked((int)shape[^1]);
            if (!energy.TryGetValue(name, out var e)) energy[name] = e = new double[k];
            if (e.Length != k) return;
            for (int r = 0; r + k <= x.Length; r += k)
                for (int j = 0; j < k; j++)
                    e[j] += (double)x[r + j] * x[r + j];
        }, cancellationToken);
        progress?.Report(0.5);

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
