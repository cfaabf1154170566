using System.Numerics.Tensors;

namespace Qaas.Quantization.Metrics;

/// <summary>Fraction of rows of [rows, classes] logits whose argmax over the last axis agrees.</summary>
public sealed class Top1Agreement
{
    public long Rows { get; private set; }
    public long Agreeing { get; private set; }
    public double Rate => Rows == 0 ? 1 : (double)Agreeing / Rows;

    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate, int classes)
    {
        if (classes <= 0 || reference.Length != candidate.Length || reference.Length % classes != 0)
            throw new ArgumentException("Inputs must both be [rows, classes].");
        for (int start = 0; start < reference.Length; start += classes)
        {
            if (TensorPrimitives.IndexOfMax(reference.Slice(start, classes)) ==
                TensorPrimitives.IndexOfMax(candidate.Slice(start, classes)))
                Agreeing++;
            Rows++;
        }
    }
}
