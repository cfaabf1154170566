using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// Running min/max. With an averaging constant c the range is an exponential moving average of the batch
/// ranges (min = min + c * (batchMin - min)), which ignores rare extreme batches.
/// </summary>
public sealed class MinMaxObserver(float? averagingConstant = null) : IRangeObserver
{
    private float _min, _max;
    private bool _any;

    public float? AveragingConstant { get; } = averagingConstant is null or (> 0 and <= 1)
        ? averagingConstant
        : throw new ArgumentOutOfRangeException(nameof(averagingConstant), "Must be in (0, 1].");

    public void Observe(ReadOnlySpan<float> batch)
    {
        if (batch.IsEmpty)
            return;
        var (min, max) = MinMaxScan.Of(batch) ?? RangeWithoutNaN(batch);
        ObserveExtremes(min, max);
    }

    /// <summary>A batch known by its extremes (NaN skipped; +inf, -inf for a batch without values).</summary>
    public void ObserveExtremes(float min, float max)
    {
        if (float.IsInfinity(min) && float.IsInfinity(max) && min > max)
            return; // all NaN
        if (!_any)
        {
            (_min, _max, _any) = (min, max, true);
            return;
        }
        if (AveragingConstant is { } c)
        {
            _min += c * (min - _min);
            _max += c * (max - _max);
        }
        else
        {
            _min = MathF.Min(_min, min);
            _max = MathF.Max(_max, max);
        }
    }

    /// <summary>No value seen yet (nothing observed, or only empty or all-NaN batches).</summary>
    public bool IsEmpty => !_any;

    public (float Min, float Max) ComputeRange() => _any ? (_min, _max) : (0f, 0f);

    private static (float, float) RangeWithoutNaN(ReadOnlySpan<float> batch)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in batch)
        {
            if (float.IsNaN(v)) continue;
            min = MathF.Min(min, v);
            max = MathF.Max(max, v);
        }
        return (min, max);
    }
}
