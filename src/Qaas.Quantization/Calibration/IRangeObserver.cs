namespace Qaas.Quantization.Calibration;

/// <summary>
/// Watches the values of one tensor over calibration batches and proposes a quantization range.
/// Implementations keep fixed-size state: memory does not grow with the number of batches.
/// </summary>
public interface IRangeObserver
{
    void Observe(ReadOnlySpan<float> batch);

    /// <summary>The proposed (min, max); (0, 0) if nothing was observed.</summary>
    (float Min, float Max) ComputeRange();
}
