using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Qaas.Quantization.Metrics;

/// <summary>
/// Folds (reference, candidate) batches into SQNR, cosine similarity, and max/mean absolute error without
/// keeping the data. One fused vector pass per chunk sums in float; chunk sums are accumulated in double.
/// </summary>
public sealed class ErrorAccumulator
{
    private const int Chunk = 4096;

    private double _referenceEnergy, _candidateEnergy, _dot, _errorEnergy, _absoluteError;
    private float _maxAbsoluteError;

    public long Count { get; private set; }

    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        if (reference.Length != candidate.Length)
            throw new ArgumentException("Reference and candidate lengths differ.");
        for (int start = 0; start < reference.Length; start += Chunk)
        {
            int length = Math.Min(Chunk, reference.Length - start);
            AddChunk(reference.Slice(start, length), candidate.Slice(start, length));
        }
        Count += reference.Length;
    }

    private void AddChunk(ReadOnlySpan<float> r, ReadOnlySpan<float> c)
    {
        float rr = 0, cc = 0, rc = 0, ee = 0, ae = 0, max = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && r.Length >= 8)
        {
            Vector256<float> vrr = default, vcc = default, vrc = default, vee = default, vae = default, vmax = default;
            ref float pr = ref MemoryMarshal.GetReference(r);
            ref float pc = ref MemoryMarshal.GetReference(c);
            for (; i <= r.Length - 8; i += 8)
            {
                var a = Vector256.LoadUnsafe(ref pr, (nuint)i);
                var b = Vector256.LoadUnsafe(ref pc, (nuint)i);
                var e = b - a;
                var abs = Vector256.Abs(e);
                vrr += a * a;
                vcc += b * b;
                vrc += a * b;
                vee += e * e;
                vae += abs;
                vmax = Vector256.Max(vmax, abs);
            }
            rr = Vector256.Sum(vrr);
            cc = Vector256.Sum(vcc);
            rc = Vector256.Sum(vrc);
            ee = Vector256.Sum(vee);
            ae = Vector256.Sum(vae);
            max = TensorPrimitives.Max(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<Vector256<float>, float>(ref vmax), 8));
        }
        var tail = Sums<float>(r[i..], c[i..]);
        (rr, cc, rc, ee, ae, max) = (rr + tail.Rr, cc + tail.Cc, rc + tail.Rc, ee + tail.Ee, ae + tail.Ae, MathF.Max(max, tail.Max));
        // Squares of values past ~1.8e19 overflow float: such a chunk is summed again in double.
        if (!(float.IsFinite(rr) && float.IsFinite(cc) && float.IsFinite(rc) && float.IsFinite(ee) && float.IsFinite(ae)))
        {
            var d = Sums<double>(r, c);
            Accumulate(d.Rr, d.Cc, d.Rc, d.Ee, d.Ae, (float)d.Max);
        }
        else
            Accumulate(rr, cc, rc, ee, ae, max);
    }

    // The scalar sums (r.r, c.c, r.c, e.e, |e|, max |e|, with e = c - r) in T: the vector loop's tail in float, and a
    // whole chunk in double when float overflowed.
    private static (T Rr, T Cc, T Rc, T Ee, T Ae, T Max) Sums<T>(ReadOnlySpan<float> r, ReadOnlySpan<float> c)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        T rr = T.Zero, cc = T.Zero, rc = T.Zero, ee = T.Zero, ae = T.Zero, max = T.Zero;
        for (int i = 0; i < r.Length; i++)
        {
            T a = T.CreateTruncating(r[i]), b = T.CreateTruncating(c[i]), e = b - a;
            rr += a * a;
            cc += b * b;
            rc += a * b;
            ee += e * e;
            ae += T.Abs(e);
            max = T.Max(max, T.Abs(e));
        }
        return (rr, cc, rc, ee, ae, max);
    }

    private void Accumulate(double rr, double cc, double rc, double ee, double ae, float max)
    {
        _referenceEnergy += rr;
        _candidateEnergy += cc;
        _dot += rc;
        _errorEnergy += ee;
        _absoluteError += ae;
        _maxAbsoluteError = MathF.Max(_maxAbsoluteError, max);
    }

    /// <summary>10 log10(sum r^2 / sum (c - r)^2); +inf when the candidate is exact.</summary>
    public double SqnrDb => _errorEnergy == 0 ? double.PositiveInfinity : 10 * Math.Log10(_referenceEnergy / _errorEnergy);

    /// <summary>Cosine of the angle between the flattened tensors; 1 when both are all zero.</summary>
    public double CosineSimilarity
    {
        get
        {
            if (_referenceEnergy == 0 && _candidateEnergy == 0)
                return 1;
            double norm = Math.Sqrt(_referenceEnergy) * Math.Sqrt(_candidateEnergy);
            return norm == 0 ? 0 : Math.Clamp(_dot / norm, -1, 1);
        }
    }

    public double MaxAbsoluteError => _maxAbsoluteError;
    public double MeanAbsoluteError => Count == 0 ? 0 : _absoluteError / Count;
    public double MeanSquaredError => Count == 0 ? 0 : _errorEnergy / Count;
}
