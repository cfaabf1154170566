using System.Numerics.Tensors;
using Qaas.Onnx.Io;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Transforms;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// X^T X of MatMul inputs over the calibration samples (every row of every sample: a [.., K] tensor is [rows, K]),
/// the second-order statistic <see cref="Gptq"/> needs. K x K doubles per input tensor.
/// </summary>
public static class InputHessians
{
    public static IReadOnlyDictionary<string, double[]> Measure(OnnxModel model, IReadOnlyCollection<string> inputs, SampleFeed feed,
        CancellationToken cancellationToken = default)
    {
        var sums = new Dictionary<string, double[]>(StringComparer.Ordinal);
        TensorSweep.Run(model, inputs, feed, (name, shape, x) =>
        {
            if (shape.Count == 0 || x.IsEmpty) return;
            int k = checked((int)shape[^1]);
            if (!sums.TryGetValue(name, out var h)) sums[name] = h = new double[(long)k * k];
            else if (h.Length != (long)k * k) return;
            AccumulateLower(h, x, k);
        }, cancellationToken);
        foreach (var (name, h) in sums)
            MirrorLower(h, (int)Math.Sqrt(h.Length));
        return sums;
    }

    /// <summary>Adds the lower triangle of X^T X, X = x as [rows, k], to h.</summary>
    public static void AccumulateLower(double[] h, ReadOnlySpan<float> x, int k)
    {
        int rows = x.Length / k;
        var row = new double[k];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < k; i++) row[i] = x[r * k + i];
            for (int i = 0; i < k; i++)
            {
                double xi = row[i];
                if (xi == 0) continue;
                var target = h.AsSpan(i * k, i + 1);
                TensorPrimitives.MultiplyAdd(row.AsSpan(0, i + 1), xi, target, target);
            }
        }
    }

    /// <summary>Copies the lower triangle of a [k, k] matrix to the upper one.</summary>
    public static void MirrorLower(double[] h, int k)
    {
        for (int i = 0; i < k; i++)
            for (int j = 0; j < i; j++)
                h[j * k + i] = h[i * k + j];
    }
}
