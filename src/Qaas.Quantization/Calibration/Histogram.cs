using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// A fixed number of equal-width bins over [Lower, Upper]. A batch outside the range widens it and the old
/// counts are re-distributed over the new bins in proportion to overlap, so memory stays fixed.
/// With <see cref="Absolute"/> it histograms |x| over [0, Upper], which symmetric calibration needs.
/// </summary>
public sealed class Histogram
{
    // Interleaved integer copies that Fill counts into: consecutive values go to different copies, so a run of values
    // in one bin (the common case: activations crowd a few bins) makes four independent increment chains instead of
    // one chain through store-to-load forwarding. They fold into the double counts whenever those are read or re-binned.
    private const int Copies = 4;
    // Folded before any copy can reach int.MaxValue.
    private const long FoldAfter = 1L << 30;

    private readonly double[] _counts;
    private readonly int[] _pending;
    private long _pendingTotal;
    private readonly int[] _indexBuffer = new int[256];

    public Histogram(int binCount = 2048, bool absolute = false)
    {
        if (binCount < 2)
            throw new ArgumentOutOfRangeException(nameof(binCount));
        _counts = new double[binCount];
        _pending = new int[binCount * Copies];
        Absolute = absolute;
    }

    public int BinCount => _counts.Length;
    public bool Absolute { get; }
    public float Lower { get; private set; }
    public float Upper { get; private set; }
    public float BinWidth => (Upper - Lower) / BinCount;
    public double TotalCount { get; private set; }
    public bool IsEmpty => TotalCount == 0;
    /// <summary>Exact smallest and largest raw (signed) values seen.</summary>
    public float ObservedMin { get; private set; } = float.PositiveInfinity;
    public float ObservedMax { get; private set; } = float.NegativeInfinity;
    public ReadOnlySpan<double> Counts
    {
        get
        {
            Fold();
            return _counts;
        }
    }

    public float BinLower(int i) => Lower + i * BinWidth;
    public float BinCenter(int i) => Lower + (i + 0.5f) * BinWidth;

    /// <summary>Adds a batch; NaN values are ignored.</summary>
    public void Add(ReadOnlySpan<float> batch)
    {
        if (batch.IsEmpty)
            return;
        if (MinMaxScan.Of(batch) is not { } range)
        {
            AddSkippingNaN(batch);
            return;
        }
        var (min, max) = range;
        ObservedMin = MathF.Min(ObservedMin, min);
        ObservedMax = MathF.Max(ObservedMax, max);
        float lo = Absolute ? 0f : min;
        float hi = Absolute ? MathF.Max(-min, max) : max;
        EnsureRange(lo, hi);
        Fill(batch);
        TotalCount += batch.Length;
    }

    /// <summary>The value below which a fraction <paramref name="q"/> of the mass lies (linear within a bin).</summary>
    public float Quantile(double q)
    {
        if (IsEmpty)
            return 0f;
        Fold();
        double target = Math.Clamp(q, 0, 1) * TotalCount, cumulative = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            double c = _counts[i];
            if (c > 0 && cumulative + c >= target)
                return BinLower(i) + (float)((target - cumulative) / c) * BinWidth;
            cumulative += c;
        }
        return Upper;
    }

    private void EnsureRange(float lo, float hi)
    {
        if (IsEmpty && Lower == 0 && Upper == 0)
        {
            Lower = lo;
            Upper = hi > lo ? hi : lo + MathF.Max(MathF.Abs(lo) * 1e-6f, 1e-30f);
            return;
        }
        if (lo >= Lower && hi <= Upper)
            return;
        Rebin(MathF.Min(lo, Lower), MathF.Max(hi, Upper));
    }

    private void Rebin(float newLower, float newUpper)
    {
        // Grow a little beyond the request so that a slowly drifting range does not re-bin every batch.
        float span = newUpper - newLower;
        if (newLower < Lower && !Absolute) newLower -= span * 0.05f;
        if (newUpper > Upper) newUpper += span * 0.05f;
        Fold();
        double oldLower = Lower, oldWidth = BinWidth;
        double newWidth = ((double)newUpper - newLower) / BinCount;
        var old = _counts.ToArray();
        Array.Clear(_counts);
        for (int i = 0; i < old.Length; i++)
        {
            if (old[i] == 0)
                continue;
            double start = (oldLower + i * oldWidth - newLower) / newWidth;
            double end = start + oldWidth / newWidth; // the new width is never smaller, so at most two bins
            int j0 = Math.Clamp((int)Math.Floor(start), 0, BinCount - 1);
            int j1 = Math.Clamp((int)Math.Floor(end), 0, BinCount - 1);
            if (j0 == j1 || end <= j1)
            {
                _counts[j0] += old[i];
                continue;
            }
            double first = (j1 - start) / (end - start);
            _counts[j0] += old[i] * first;
            _counts[j1] += old[i] * (1 - first);
        }
        Lower = newLower;
        Upper = newUpper;
    }

    // Fully optimized from the first call, like MinMaxScan: few calls per process, each over a whole tensor.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Fill(ReadOnlySpan<float> batch)
    {
        float lower = Lower, inverse = BinCount / (Upper - Lower), last = BinCount - 1;
        var indexes = _indexBuffer.AsSpan();
        for (int start = 0; start < batch.Length; start += indexes.Length)
        {
            var chunk = batch.Slice(start, Math.Min(indexes.Length, batch.Length - start));
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vLower = Vector256.Create(lower);
                var vInverse = Vector256.Create(inverse);
                var vLast = Vector256.Create(last);
                ref float src = ref MemoryMarshal.GetReference(chunk);
                ref int dst = ref MemoryMarshal.GetReference(indexes);
                for (; i <= chunk.Length - 8; i += 8)
                {
                    var v = Vector256.LoadUnsafe(ref src, (nuint)i);
                    if (Absolute)
                        v = Vector256.Abs(v);
                    var bin = Vector256.Min(Vector256.Max((v - vLower) * vInverse, Vector256<float>.Zero), vLast);
                    Vector256.ConvertToInt32(bin).StoreUnsafe(ref dst, (nuint)i);
                }
            }
            for (; i < chunk.Length; i++)
            {
                float v = Absolute ? MathF.Abs(chunk[i]) : chunk[i];
                indexes[i] = (int)Math.Clamp((v - lower) * inverse, 0f, last);
            }
            int k = 0;
            var pending = _pending;
            for (; k <= chunk.Length - Copies; k += Copies)
            {
                pending[indexes[k] * Copies]++;
                pending[indexes[k + 1] * Copies + 1]++;
                pending[indexes[k + 2] * Copies + 2]++;
                pending[indexes[k + 3] * Copies + 3]++;
            }
            for (; k < chunk.Length; k++)
                pending[indexes[k] * Copies]++;
        }
        _pendingTotal += batch.Length;
        if (_pendingTotal >= FoldAfter)
            Fold();
    }

    private void Fold()
    {
        if (_pendingTotal == 0)
            return;
        for (int bin = 0; bin < _counts.Length; bin++)
        {
            var copies = _pending.AsSpan(bin * Copies, Copies);
            _counts[bin] += (long)copies[0] + copies[1] + copies[2] + copies[3];
            copies.Clear();
        }
        _pendingTotal = 0;
    }

    private void AddSkippingNaN(ReadOnlySpan<float> batch)
    {
        Span<float> clean = stackalloc float[256];
        int n = 0;
        foreach (float v in batch)
        {
            if (float.IsNaN(v))
                continue;
            clean[n++] = v;
            if (n == clean.Length)
            {
                Add(clean);
                n = 0;
            }
        }
        if (n > 0)
            Add(clean[..n]);
    }
}
