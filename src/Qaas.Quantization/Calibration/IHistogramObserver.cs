namespace Qaas.Quantization.Calibration;

/// <summary>An observer that places its range from a histogram of everything it observed.</summary>
public interface IHistogramObserver : IRangeObserver
{
    Histogram Histogram { get; }
}
