namespace Qaas.Quantization.Calibration;

/// <summary>
/// Min/max of a tensor and of pointwise functions of it (<see cref="PointwiseRanges"/>): each batch of the tensor's
/// values is observed, then run through every function, whose range feeds that function's own min/max.
/// Plain min/max only, so that a function's observer gets one batch per source batch, as if it had been captured.
/// </summary>
internal sealed class PointwiseObserver : IRangeObserver
{
    private readonly MinMaxObserver _source;
    private readonly IReadOnlyList<(PointwiseExpression F, MinMaxObserver Observer)> _derived;

    public PointwiseObserver(MinMaxObserver source, IReadOnlyList<(PointwiseExpression F, MinMaxObserver Observer)> derived)
    {
        if (source.AveragingConstant is not null || derived.Any(d => d.Observer.AveragingConstant is not null))
            throw new ArgumentException("Pointwise ranges need plain min/max observers.", nameof(derived));
        _source = source;
        _derived = derived;
    }

    public void Observe(ReadOnlySpan<float> batch)
    {
        _source.Observe(batch);
        foreach (var (f, observer) in _derived)
        {
            var (min, max) = f.RangeOf(batch);
            observer.ObserveExtremes(min, max);
        }
    }

    public (float Min, float Max) ComputeRange() => _source.ComputeRange();
}
