namespace Qaas.Quantization.Transforms;

/// <summary>
/// Cross-layer equalization of two Convs joined by a positively homogeneous activation (ReLU or none), Nagel et al.
/// 2019, "Data-Free Quantization Through Weight Equalization and Bias Correction", section 4.1:
/// <code>
/// r1[i] = max |W1[i, ...]|                 // range of layer 1's output channel i
/// r2[i] = max |W2[:, i, ...]|              // range of layer 2's input channel i
/// s[i]  = sqrt(r1[i] / r2[i])
/// W1[i] /= s[i];  b1[i] /= s[i];  W2[:, i] *= s[i]     // relu(x / s) * s = relu(x): the pair computes the same
/// </code>
/// Both ranges become sqrt(r1 r2), so one per-tensor (or coarse) weight scale fits every channel of both layers.
/// </summary>
public static class CrossLayerEqualization
{
    /// <param name="w1">Layer 1 weights [C, ...], row-major; scaled in place.</param>
    /// <param name="b1">Layer 1 bias [C] (may be empty); scaled in place.</param>
    /// <param name="w2">Layer 2 weights [M, C / group2, ...]; scaled in place.</param>
    /// <param name="group2">Layer 2's group count (C for a depthwise Conv).</param>
    /// <returns>The largest |log s[i]| applied (0 when the pair was already balanced).</returns>
    public static double Equalize(Span<float> w1, Span<float> b1, Span<float> w2, int channels, int outputs2, int group2)
    {
        if (channels <= 0 || w1.Length % channels != 0 || (!b1.IsEmpty && b1.Length != channels) || channels % group2 != 0
            || outputs2 % group2 != 0 || w2.Length % outputs2 != 0)
            throw new ArgumentException("The two layers' channel counts do not match.");
        int per1 = w1.Length / channels, inPerGroup = channels / group2, outPerGroup = outputs2 / group2;
        int kernel2 = w2.Length / outputs2 / inPerGroup;
        double largest = 0;
        for (int i = 0; i < channels; i++)
        {
            int group = i / inPerGroup, local = i % inPerGroup;
            float r1 = MaxAbs(w1.Slice(i * per1, per1)), r2 = 0;
            for (int m = group * outPerGroup; m < (group + 1) * outPerGroup; m++)
                r2 = MathF.Max(r2, MaxAbs(w2.Slice((m * inPerGroup + local) * kernel2, kernel2)));
            if (r1 <= 0 || r2 <= 0 || !float.IsFinite(r1) || !float.IsFinite(r2))
                continue; // a dead channel on either side: nothing to balance
            float s = MathF.Sqrt(r1 / r2);
            foreach (ref var v in w1.Slice(i * per1, per1)) v /= s;
            if (!b1.IsEmpty) b1[i] /= s;
            for (int m = group * outPerGroup; m < (group + 1) * outPerGroup; m++)
                foreach (ref var v in w2.Slice((m * inPerGroup + local) * kernel2, kernel2)) v *= s;
            largest = Math.Max(largest, Math.Abs(Math.Log(s)));
        }
        return largest;
    }

    private static float MaxAbs(ReadOnlySpan<float> x) => x.IsEmpty ? 0 : System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(x) is var m ? MathF.Abs(m) : 0;
}
