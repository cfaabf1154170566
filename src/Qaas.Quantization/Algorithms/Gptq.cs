using System.Numerics.Tensors;
using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// GPTQ, Frantar et al. 2023, "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers",
/// on W[K, N] (MatMul layout: row k holds input channel k's weights to every output), with group-wise scales along K:
/// <code>
/// H = X^T X + damp * mean(diag H) * I           // X: the MatMul's calibration inputs, [rows, K]
/// U = upper Cholesky factor of H^-1              // H^-1 = U^T U
/// for k = 0 .. K-1:                              // in lazy batches of 128 rows (the paper's section 4, step 2)
///     if k starts a group: scale, zero point of rows [k, k + g) from the current W
///     q = quant(W[k, :]);  e = (W[k, :] - dequant(q)) / U[k, k]
///     W[j, :] -= U[k, j] * e   for j > k            // later inputs absorb the rounding error
/// </code>
/// Output: unsigned values in RTN's layout, ready for <see cref="MatMulNBitsPacker.PackQuantized"/>.
/// </summary>
public static class Gptq
{
    public const double DefaultDamping = 0.01;
    private const int LazyBatch = 128;

    /// <param name="hessian">X^T X, [K, K] row-major (any positive scale; it is damped here).</param>
    public static RtnResult Quantize(ReadOnlySpan<float> weights, int k, int n, ReadOnlySpan<double> hessian, int bits, int groupSize,
        bool symmetric, double damping = DefaultDamping)
    {
        if (k <= 0 || n <= 0 || weights.Length != (long)k * n)
            throw new ArgumentException($"Weight has {weights.Length} elements, expected {k}x{n}.", nameof(weights));
        if (hessian.Length != (long)k * k)
            throw new ArgumentException($"Hessian has {hessian.Length} elements, expected {k}x{k}.", nameof(hessian));
        if (bits is < 2 or > 8)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "GPTQ quantizes to 2..8 bits.");
        int qmax = (1 << bits) - 1, groups = (k + groupSize - 1) / groupSize;
        var w = weights.ToArray();
        var h = hessian.ToArray();
        // An input that never fired carries no information: its weights are zeroed and its diagonal made harmless.
        for (int i = 0; i < k; i++)
            if (h[i * k + i] == 0)
            {
                h[i * k + i] = 1;
                Array.Clear(w, i * n, n);
            }
        double meanDiagonal = 0;
        for (int i = 0; i < k; i++) meanDiagonal += h[i * k + i];
        meanDiagonal /= k;
        for (int i = 0; i < k; i++) h[i * k + i] += damping * meanDiagonal;
        var u = InverseUpperCholesky(h, k);

        var values = new byte[k * n];
        var scales = new float[groups * n];
        var zeroPoints = new int[groups * n];
        var error = new float[LazyBatch * n];
        var quantized = new float[n];
        for (int b0 = 0; b0 < k; b0 += LazyBatch)
        {
            int b1 = Math.Min(k, b0 + LazyBatch);
            for (int row = b0; row < b1; row++)
            {
                if (row % groupSize == 0)
                    GroupParameters(w, row, Math.Min(k, row + groupSize), n, qmax, symmetric,
                        scales.AsSpan(row / groupSize * n, n), zeroPoints.AsSpan(row / groupSize * n, n));
                var wRow = w.AsSpan(row * n, n);
                var groupScales = scales.AsSpan(row / groupSize * n, n);
                var groupZeroPoints = zeroPoints.AsSpan(row / groupSize * n, n);
                for (int c = 0; c < n; c++)
                {
                    int q = Math.Clamp((int)MathF.Round(wRow[c] / groupScales[c], MidpointRounding.ToEven) + groupZeroPoints[c], 0, qmax);
                    values[row * n + c] = (byte)q;
                    quantized[c] = (q - groupZeroPoints[c]) * groupScales[c];
                }
                var e = error.AsSpan((row - b0) * n, n);
                TensorPrimitives.Subtract(wRow, quantized, e);
                TensorPrimitives.Divide(e, (float)u[row * k + row], e);
                // Inside the batch at once; the rows after it take the whole batch's error below.
                for (int j = row + 1; j < b1; j++)
                    TensorPrimitives.MultiplyAdd(e, (float)-u[row * k + j], w.AsSpan(j * n, n), w.AsSpan(j * n, n));
            }
            for (int j = b1; j < k; j++)
            {
                var target = w.AsSpan(j * n, n);
                for (int row = b0; row < b1; row++)
                    TensorPrimitives.MultiplyAdd(error.AsSpan((row - b0) * n, n), (float)-u[row * k + j], target, target);
            }
        }
        return new RtnResult(0, qmax, Signed: false, symmetric, k, n, groupSize, values, scales, zeroPoints);
    }

    // Round-to-nearest parameters of rows [first, end) per column, as Rtn computes them.
    private static void GroupParameters(float[] w, int first, int end, int n, int qmax, bool symmetric, Span<float> scales, Span<int> zeroPoints)
    {
        for (int c = 0; c < n; c++)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (int r = first; r < end; r++)
            {
                float v = w[r * n + c];
                min = MathF.Min(min, v);
                max = MathF.Max(max, v);
            }
            var p = QuantParamsCalculator.FromRange(min, max, 0, qmax, symmetric);
            scales[c] = p.Scale;
            zeroPoints[c] = p.ZeroPoint;
        }
    }

    /// <summary>U with H^-1 = U^T U: Cholesky of H, inverted, then Cholesky of the inverse (upper factor).</summary>
    private static double[] InverseUpperCholesky(double[] h, int k)
    {
        var l = Cholesky(h, k);
        // T = (L^-1)^T, built row by row so every inner product below runs over contiguous memory:
        // (L^-1)[i, c] = -(L[i, c..i) . (L^-1)[c..i, c]) / L[i, i], and (L^-1)[c..i, c] is T[c, c..i).
        var t = new double[k * k];
        for (int c = 0; c < k; c++)
        {
            t[c * k + c] = 1 / l[c * k + c];
            for (int i = c + 1; i < k; i++)
                t[c * k + i] = -TensorPrimitives.Dot(l.AsSpan(i * k + c, i - c), t.AsSpan(c * k + c, i - c)) / l[i * k + i];
        }
        // H^-1 = L^-T L^-1: element (i, j), j <= i, is the dot product of rows i and j of T from column i on.
        var inverse = new double[k * k];
        Parallel.For(0, k, i =>
        {
            for (int j = 0; j <= i; j++)
                inverse[i * k + j] = inverse[j * k + i] = TensorPrimitives.Dot(t.AsSpan(i * k + i, k - i), t.AsSpan(j * k + i, k - i));
        });
        // Upper factor: the transpose of the inverse's lower Cholesky factor.
        var lower = Cholesky(inverse, k);
        var u = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j <= i; j++)
                u[j * k + i] = lower[i * k + j];
        return u;
    }

    private static double[] Cholesky(double[] a, int k)
    {
        var l = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i * k + j] - TensorPrimitives.Dot(l.AsSpan(i * k, j), l.AsSpan(j * k, j));
                if (i == j)
                {
                    if (s <= 0) throw new ArgumentException("The damped Hessian is not positive definite.");
                    l[i * k + i] = Math.Sqrt(s);
                }
                else l[i * k + j] = s / l[j * k + j];
            }
        return l;
    }
}
