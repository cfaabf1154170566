namespace Qaas.Quantization.Calibration;

/// <summary>Turns a threshold on |x| into a range, keeping the real extremes as bounds.</summary>
internal static class ObservedRange
{
    /// <summary>(-t, t), or (0, t) for data that never went negative (e.g. after ReLU), clipped to what was seen.</summary>
    public static (float Min, float Max) SymmetricAround(Histogram h, float threshold)
    {
        float t = MathF.Min(threshold, MathF.Max(-h.ObservedMin, h.ObservedMax));
        return h.ObservedMin >= 0 ? (0f, t) : (-t, t);
    }
}
