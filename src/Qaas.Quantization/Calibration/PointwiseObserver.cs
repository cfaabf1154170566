namespace Qaas.Quantization.Calibration;

/// <summary>
/// Min/max of a tensor and of pointwise functions of it (<see cref="PointwiseRanges"/>) in one pass over the tensor's
/// values: each block of source values, while in L1, is observed and then run through every function, whose results
/// feed that function's own min/max. Plain min/max only: its result does not depend on how the values are batched.
/// </summary>
internal sealed class PointwiseObserver : IRangeObserver
{
    private readonly MinMaxObserver _source;
    private readonly IReadOnlyList<(PointwiseExpression F, MinMaxObserver Observer)> _derived;

    public PointwiseObserver(MinMaxObserver source, IReadOnlyList<(PointwiseExpression F, MinMaxObserver Observer)> derived)
    {
        if (source.AveragingConstant is not null || derived.Any(d => d.Observer.AveragingConstant is not null))
            throw new ArgumentException("Pointwise ranges need plain min/max: a moving average depends on the batching.");
        _source = source;
        _derived = derived;
    }

    public void Observe(ReadOnlySpan<float> batch)
    {
        for (int i = 0; i < batch.Length; i += PointwiseExpression.BlockSize)
        {
            var block = batch.Slice(i, Math.Min(PointwiseExpression.BlockSize, batch.Length - i));
            _source.Observe(block);
            foreach (var (f, observer) in _derived)
                observer.Observe(f.Evaluate(block));
        }
    }

    public (float Min, float Max) ComputeRange() => _source.ComputeRange();
}
