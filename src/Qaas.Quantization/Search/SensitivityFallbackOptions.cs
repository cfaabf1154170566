namespace Qaas.Quantization.Search;

/// <summary>Budget of the sensitivity search.</summary>
/// <param name="SensitivitySamples">Calibration samples each one-node candidate is run on (the first ones of the feed).</param>
/// <param name="Threads">Intra-op threads of every session the search opens.</param>
/// <param name="MaxFloatShare">At most this share of the quantized nodes is kept in fp32.</param>
public sealed record SensitivityFallbackOptions(int SensitivitySamples = 4, int Threads = 2, double MaxFloatShare = 0.25)
{
    /// <summary>Calibration statistics to start from and add to (see <see cref="Static.StaticQdqOptions"/>); its
    /// KeepFloat is not used: the search decides what stays fp32.</summary>
    public Static.StaticQdqOptions? Statistics { get; init; }

    /// <summary>Per-node sensitivities already measured (a restarted job's earlier run); those missing are measured and added.</summary>
    public IDictionary<string, double>? Sensitivities { get; init; }
}
