using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Calibration;

/// <summary>Creates the observer for a recipe's calibration method ("minmax", "percentile", "entropy", "mse").</summary>
public static class RangeObservers
{
    public static readonly string[] Methods = ["minmax", "percentile", "entropy", "mse"];

    /// <param name="type">Target integer type; sets the level count for entropy and the grid for MSE.</param>
    /// <param name="symmetric">Whether the quantized tensor will use a symmetric range.</param>
    public static IRangeObserver Create(string method, QuantType type, bool symmetric, double percentile = 99.999,
        int binCount = 2048) => method.ToLowerInvariant() switch
    {
        "minmax" => new MinMaxObserver(),
        "percentile" => new PercentileObserver(percentile, symmetric, binCount),
        // Levels on one side of zero, as in TensorRT's int8 calibration (128 for 8 bits).
        "entropy" => new EntropyObserver(binCount, Math.Min(binCount, 1 << (type.BitWidth() - 1))),
        "mse" => new MseObserver(type, symmetric, binCount),
        _ => throw new ArgumentException($"Unknown calibration method '{method}'.", nameof(method)),
    };
}
