namespace Qaas.Quantization.Calibration;

/// <summary>
/// Min/max of a tensor and of pointwise functions of it (<see cref="PointwiseRanges"/>): each batch of the tensor's
/// values runs through every function, whose range feeds that function's own min/max; the first pass also takes the
/// tensor's own range, so the values are read once per function and not once more.
/// Plain min/max only, so that a function's observer gets one batch per source batch, as if it had been captured.
/// </summary>
internal sealed class PointwiseObserver : IRangeObserver
{
    private readonly MinMaxObserver _source;
    private readonly IReadOnlyList<(PointwiseExpression F, MinMaxObserver Observer)> _derived;

    public PointwiseObserver(MinMaxObserver source, IReadOnlyList<(PointwiseExpression F, MinMaxObserver Observer)> derived)
    {
        if (derived.Count == 0)
            throw new ArgumentException("No function to observe beside the source.", nameof(derived));
        if (source.AveragingConstant is not null || derived.Any(d => d.Observer.AveragingConstant is not null))
            throw new ArgumentException("Pointwise ranges need plain min/max observers.", nameof(derived));
        _source = source;
        _derived = derived;
    }

    public void Observe(ReadOnlySpan<float> batch)
    {
        if (batch.IsEmpty)
            return;
        for (int i = 0; i < _derived.Count; i++)
        {
            var (f, observer) = _derived[i];
            var (function, source) = f.RangesOf(batch);
            observer.ObserveExtremes(function.Min, function.Max);
            if (i == 0) // one pass reads the source for its own range too
                _source.ObserveExtremes(source.Min, source.Max);
        }
    }

    public (float Min, float Max) ComputeRange() => _source.ComputeRange();
}
