using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// AdaRound, Nagel et al. 2020, "Up or Down? Adaptive Rounding for Post-Training Quantization", on weight rows that
/// share one input second moment H = E[x x^T] (a layer's output channels, or one group of a grouped Conv):
/// <code>
/// w~ = s * (floor(w / s) + h(V) - z)        h(V) = clip(sigmoid(V) * (zeta - gamma) + gamma, 0, 1)
/// V starts where h(V) = frac(w / s)         // the float weight itself
/// minimise  sum_rows dw H dw^T / L_nearest  +  lambda * mean(1 - |2 h(V) - 1|^beta)   with Adam
///           (dw = w~ - w; no regulariser for the first 20% of steps, then beta annealed from 20 to 2)
/// w_q = floor(w / s) + [V >= 0]             // h(V) has converged to 0 or 1
/// </code>
/// The reconstruction term is the layer's output error on the calibration inputs in the Hessian form (the paper's
/// local loss without the activation function), divided by that of round-to-nearest so that one lambda fits every
/// layer. A row whose final rounding is no better than round-to-nearest keeps round-to-nearest.
/// </summary>
public static class AdaRound
{
    private const float Zeta = 1.1f, Gamma = -0.1f;
    private const float BetaStart = 20, BetaEnd = 2, WarmUp = 0.2f;
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;
    // Rows optimised together: they share reads of H, and items stay many enough for the cores.
    private const int RowChunk = 8;

    /// <param name="weights">Row-major [rows, d].</param>
    /// <param name="scales">One scale per row.</param>
    /// <param name="zeroPoints">One zero point per row.</param>
    /// <param name="hessian">E[x x^T] of the d inputs, [d, d] row-major (any positive multiple of it).</param>
    public static AdaRoundResult Round(ReadOnlySpan<float> weights, int rows, int d, ReadOnlySpan<float> scales,
        ReadOnlySpan<int> zeroPoints, int qmin, int qmax, ReadOnlySpan<float> hessian, AdaRoundOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        if (rows <= 0 || d <= 0 || weights.Length != (long)rows * d)
            throw new ArgumentException($"Weight has {weights.Length} elements, expected {rows}x{d}.", nameof(weights));
        if (scales.Length != rows || zeroPoints.Length != rows)
            throw new ArgumentException("One scale and zero point per row are needed.", nameof(scales));
        if (hessian.Length != (long)d * d)
            throw new ArgumentException($"Hessian has {hessian.Length} elements, expected {d}x{d}.", nameof(hessian));
        var o = options ?? AdaRoundOptions.Default;
        var problem = new Problem(weights.ToArray(), d, scales.ToArray(), zeroPoints.ToArray(), qmin, qmax, hessian.ToArray());
        var values = new int[rows * d];
        var nearestLoss = new double[rows];
        var roundedLoss = new double[rows];
        int chunks = (rows + RowChunk - 1) / RowChunk;
        Parallel.For(0, chunks, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = o.MaxDegreeOfParallelism },
            chunk =>
            {
                int r0 = chunk * RowChunk, r1 = Math.Min(rows, r0 + RowChunk);
                problem.Solve(r0, r1, o, values, nearestLoss, roundedLoss, cancellationToken);
            });
        return new AdaRoundResult(values, nearestLoss.Sum(), roundedLoss.Sum(), roundedLoss.Zip(nearestLoss).Count(p => p.First < p.Second));
    }

    private sealed class Problem(float[] w, int d, float[] scales, int[] zeroPoints, int qmin, int qmax, float[] h)
    {
        // Optimised from the first call (AggressiveOptimization): a job runs this loop a few times, mostly in Tier-0 otherwise.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Solve(int r0, int r1, AdaRoundOptions o, int[] values, double[] nearestLoss, double[] roundedLoss,
            CancellationToken cancellationToken)
        {
            int n = (r1 - r0) * d;
            var floor = new float[n];     // floor(w / s) + z, the lower grid point (as an integer value)
            var free = new bool[n];       // whether both neighbours lie inside [qmin, qmax]
            var fixedValue = new float[n];
            var v = new float[n];
            var nearest = new int[n];
            for (int r = r0; r < r1; r++)
                for (int j = 0; j < d; j++)
                {
                    int i = (r - r0) * d + j;
                    float x = w[r * d + j] / scales[r];
                    float f = MathF.Floor(x);
                    floor[i] = f + zeroPoints[r];
                    // Round-to-nearest: the baseline and the fallback.
                    nearest[i] = QuantizeLinear.Scalar(w[r * d + j], scales[r], zeroPoints[r], qmin, qmax);
                    free[i] = floor[i] >= qmin && floor[i] + 1 <= qmax && float.IsFinite(x);
                    fixedValue[i] = nearest[i];
                    // h(V) = frac: sigmoid(V) = (frac - gamma) / (zeta - gamma).
                    float p = (x - f - Gamma) / (Zeta - Gamma);
                    v[i] = free[i] ? -MathF.Log(1 / p - 1) : 0;
                }

            var delta = new float[n];
            var gradient = new float[n];
            var m = new float[n];
            var s2 = new float[n];
            // Round-to-nearest's loss per row: the normaliser of the reconstruction term and the fallback's yardstick.
            for (int i = 0; i < n; i++)
                delta[i] = (nearest[i] - zeroPoints[r0 + i / d]) * scales[r0 + i / d] - w[r0 * d + i];
            var nearestRows = RowLosses(delta, r1 - r0);
            double norm = Math.Max(nearestRows.Sum(), 1e-30);
            int warm = (int)(WarmUp * o.Iterations);
            var sigma = new float[n];
            var centred = new float[n];   // |2 h(V) - 1|, then raised to beta - 1
            for (int t = 0; t < o.Iterations; t++)
            {
                if ((t & 63) == 0) cancellationToken.ThrowIfCancellationRequested();
                for (int i = 0; i < n; i++) sigma[i] = 1 / (1 + MathF.Exp(-v[i]));
                // dw = s * (floor + h(V) - z) - w, with the fixed elements at their clamped nearest value.
                for (int i = 0; i < n; i++)
                {
                    int r = r0 + i / d;
                    float soft = Math.Clamp(sigma[i] * (Zeta - Gamma) + Gamma, 0f, 1f);
                    centred[i] = MathF.Abs(2 * soft - 1);
                    float q = free[i] ? floor[i] + soft : fixedValue[i];
                    delta[i] = (q - zeroPoints[r]) * scales[r] - w[r0 * d + i];
                }
                // d(loss)/d(dw) = 2 dw H / norm.
                Multiply(delta, r1 - r0, gradient);
                float beta = t < warm ? 0 : BetaEnd + (BetaStart - BetaEnd) * (1 - (t - warm) / (float)Math.Max(1, o.Iterations - warm));
                float regularizer = t < warm ? 0 : o.Lambda / n;
                if (regularizer > 0) for (int i = 0; i < n; i++) centred[i] = MathF.Pow(centred[i], beta - 1);
                int step = t + 1;
                float correction1 = 1 - MathF.Pow(Beta1, step), correction2 = 1 - MathF.Pow(Beta2, step);
                for (int i = 0; i < n; i++)
                {
                    if (!free[i]) continue;
                    float stretched = sigma[i] * (Zeta - Gamma) + Gamma;
                    if (stretched <= 0 || stretched >= 1) { m[i] *= Beta1; s2[i] *= Beta2; continue; } // clipped: no gradient
                    float dh = (float)(2 * gradient[i] * scales[r0 + i / d] / norm);
                    // d/dh of (1 - |2h - 1|^beta) = -2 beta |2h - 1|^(beta - 1) sign(2h - 1).
                    if (regularizer > 0)
                        dh -= regularizer * 2 * beta * centred[i] * MathF.Sign(stretched - 0.5f);
                    float gv = dh * sigma[i] * (1 - sigma[i]) * (Zeta - Gamma);
                    m[i] = Beta1 * m[i] + (1 - Beta1) * gv;
                    s2[i] = Beta2 * s2[i] + (1 - Beta2) * gv * gv;
                    v[i] -= o.LearningRate * (m[i] / correction1) / (MathF.Sqrt(s2[i] / correction2) + Epsilon);
                }
            }

            // Hard rounding: up where h(V) >= 1/2, i.e. V >= 0.
            var rounded = new int[n];
            for (int i = 0; i < n; i++)
            {
                int r = r0 + i / d;
                rounded[i] = free[i] ? (int)floor[i] + (v[i] >= 0 ? 1 : 0) : (int)fixedValue[i];
                delta[i] = (rounded[i] - zeroPoints[r]) * scales[r] - w[r0 * d + i];
            }
            var roundedRows = RowLosses(delta, r1 - r0);
            for (int r = 0; r < r1 - r0; r++)
            {
                bool better = roundedRows[r] < nearestRows[r];
                (better ? rounded : nearest).AsSpan(r * d, d).CopyTo(values.AsSpan((r0 + r) * d, d));
                nearestLoss[r0 + r] = nearestRows[r];
                roundedLoss[r0 + r] = Math.Min(roundedRows[r], nearestRows[r]);
            }
        }

        // product = delta H for the chunk's rows; each row of H is read once for all of them (H is symmetric).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Multiply(float[] delta, int count, float[] product)
        {
            product.AsSpan(0, count * d).Clear();
            for (int j = 0; j < d; j++)
            {
                var hj = h.AsSpan(j * d, d);
                for (int r = 0; r < count; r++)
                {
                    float dj = delta[r * d + j];
                    if (dj != 0) TensorPrimitives.MultiplyAdd(hj, dj, product.AsSpan(r * d, d), product.AsSpan(r * d, d));
                }
            }
        }

        // dw H dw^T of each row.
        private double[] RowLosses(float[] delta, int count)
        {
            var product = new float[count * d];
            Multiply(delta, count, product);
            var losses = new double[count];
            for (int r = 0; r < count; r++)
                losses[r] = TensorPrimitives.Dot(delta.AsSpan(r * d, d), product.AsSpan(r * d, d));
            return losses;
        }
    }
}

/// <param name="Values">Integer values (zero point included), [rows, d].</param>
/// <param name="NearestLoss">Sum over rows of round-to-nearest's dw H dw^T.</param>
/// <param name="RoundedLoss">The same for the values returned (never above <paramref name="NearestLoss"/>).</param>
/// <param name="ImprovedRows">Rows where AdaRound's rounding replaced round-to-nearest.</param>
public sealed record AdaRoundResult(int[] Values, double NearestLoss, double RoundedLoss, int ImprovedRows);

/// <param name="Iterations">Adam steps (the paper uses 10,000 mini-batch steps; the exact Hessian form needs fewer).</param>
/// <param name="Lambda">Weight of the rounding regulariser against the normalised reconstruction loss.</param>
public sealed record AdaRoundOptions(int Iterations = 500, float LearningRate = 1e-2f, float Lambda = 50f,
    int MaxDegreeOfParallelism = -1)
{
    public static readonly AdaRoundOptions Default = new();
}
