using System.Numerics.Tensors;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// AWQ's scale search (Lin et al. 2024, "AWQ: Activation-aware Weight Quantization for LLM Compression and
/// Acceleration"): the weight rows that meet large activations matter most, so they are scaled up before rounding.
/// <code>
/// m[j] = mean |X[:, j]|                                            // over the calibration tokens
/// for alpha in 0, 1/n, ..., (n-1)/n:
///     s = m^alpha / sqrt(max(m^alpha) * min(m^alpha))
///     loss(alpha) = sum over the weights W of || X W - (X / s) Q(s W) ||^2
/// keep the s of the least loss; alpha = 0 (s = 1) is plain rounding, so the result is never worse on X
/// </code>
/// Q is the caller's quantize-dequantize of one weight (the format's own rounding, block by block).
/// </summary>
public static class Awq
{
    /// <summary>Quantize-dequantize of weight <paramref name="weight"/>'s scaled values [K, N] for the scales s.</summary>
    public delegate float[] ScaledRounding(int weight, float[] scaledValues, int k, int n, float[] s);

    /// <summary>Grid points for alpha, as in the paper.</summary>
    public const int GridSize = 20;

    /// <summary>
    /// Columns of a weight the loss is measured on: rounding works column by column (blocks run along K), so the error
    /// of an evenly strided subset of columns is exactly theirs, and a wide weight (an MLP's up projection, a
    /// vocabulary head) costs the search no more than a narrow one.
    /// </summary>
    public const int MaxColumns = 512;

    /// <param name="Scales">s[j] for each input channel j: multiply weight row j by it, divide activation channel j.</param>
    /// <param name="Loss">The chosen scales' squared output error on the calibration rows (over at most
    /// <see cref="MaxColumns"/> columns of each weight).</param>
    /// <param name="RoundingLoss">The same for plain rounding (alpha = 0).</param>
    public sealed record Result(float[] Scales, double Alpha, double Loss, double RoundingLoss);

    /// <param name="meanAbs">mean |X[:, j]| over all calibration tokens.</param>
    /// <param name="rows">Calibration tokens X[R, K], row-major: the loss is measured on them.</param>
    /// <param name="weights">W[K, N] of every MatMul that reads X.</param>
    /// <param name="quantize">The rounding of each weight, scaled by the s under test.</param>
    public static Result Search(ReadOnlySpan<float> meanAbs, float[] rows, IReadOnlyList<(float[] Values, int N)> weights,
        ScaledRounding quantize, int gridSize = GridSize, CancellationToken cancellationToken = default)
    {
        int k = meanAbs.Length;
        if (k == 0 || rows.Length % k != 0)
            throw new ArgumentException($"{rows.Length} values are not whole rows of {k} channels.", nameof(rows));
        weights = weights.Select(w => Columns(w.Values, k, w.N, MaxColumns)).ToList();
        var references = weights.Select(w => MatMul(rows, k, w.Values, w.N)).ToList();
        var magnitude = meanAbs.ToArray();
        var scaledRows = new float[rows.Length];
        Result? best = null;
        double roundingLoss = 0;
        for (int step = 0; step < gridSize; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double alpha = (double)step / gridSize;
            var s = Scales(magnitude, alpha);
            for (int r = 0; r < rows.Length; r += k)
                TensorPrimitives.Divide(rows.AsSpan(r, k), s, scaledRows.AsSpan(r, k));
            double loss = 0;
            for (int i = 0; i < weights.Count; i++)
            {
                var (w, n) = weights[i];
                var scaled = (float[])w.Clone();
                for (int j = 0; j < k; j++)
                    TensorPrimitives.Multiply(scaled.AsSpan(j * n, n), s[j], scaled.AsSpan(j * n, n));
                var output = MatMul(scaledRows, k, quantize(i, scaled, k, n, s), n);
                TensorPrimitives.Subtract(output, references[i], output);
                loss += TensorPrimitives.Dot(output, output);
            }
            if (step == 0) roundingLoss = loss;
            if (best is null || loss < best.Loss)
                best = new Result(s, alpha, loss, roundingLoss);
        }
        return best!;
    }

    /// <summary>m^alpha normalized by the geometric mean of its extremes; channels never seen nonzero keep 1.</summary>
    public static float[] Scales(ReadOnlySpan<float> meanAbs, double alpha)
    {
        var s = new float[meanAbs.Length];
        double max = 0, min = double.PositiveInfinity;
        for (int j = 0; j < s.Length; j++)
        {
            double v = meanAbs[j] > 0 ? Math.Pow(meanAbs[j], alpha) : 0;
            s[j] = (float)v;
            if (v > 0) (max, min) = (Math.Max(max, v), Math.Min(min, v));
        }
        float norm = max > 0 ? (float)Math.Sqrt(max * min) : 1f;
        for (int j = 0; j < s.Length; j++)
            s[j] = s[j] > 0 ? s[j] / norm : 1f;
        return s;
    }

    /// <summary>Every ceil(n / max)-th column of W[K, n], or W itself when it has at most max columns.</summary>
    private static (float[] Values, int N) Columns(float[] w, int k, int n, int max)
    {
        if (n <= max) return (w, n);
        int stride = (n + max - 1) / max, kept = (n + stride - 1) / stride;
        var subset = new float[(long)k * kept];
        for (int j = 0; j < k; j++)
            for (int c = 0; c < kept; c++)
                subset[j * kept + c] = w[j * n + c * stride];
        return (subset, kept);
    }

    /// <summary>X[R, K] W[K, N], rows in parallel blocks that share each weight row while it is in cache.</summary>
    private static float[] MatMul(float[] x, int k, float[] w, int n)
    {
        const int RowBlock = 8;
        int rowCount = x.Length / k;
        var output = new float[(long)rowCount * n];
        int blocks = (rowCount + RowBlock - 1) / RowBlock;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, b =>
        {
            int first = b * RowBlock, end = Math.Min(rowCount, first + RowBlock);
            for (int j = 0; j < k; j++)
            {
                var weightRow = w.AsSpan(j * n, n);
                for (int r = first; r < end; r++)
                {
                    float xj = x[r * k + j];
                    if (xj == 0) continue;
                    var target = output.AsSpan(r * n, n);
                    TensorPrimitives.MultiplyAdd(weightRow, xj, target, target);
                }
            }
        });
        return output;
    }
}
