namespace Qaas.Quantization.Static;

/// <summary>Knobs a precision search turns on <see cref="StaticQdqQuantizer"/>; plain quantization needs none.</summary>
/// <param name="KeepFloat">Node names (as reported in NodeReport.Name) left in fp32 although the recipe selects them.</param>
/// <param name="Ranges">Activation ranges by tensor name. When it already holds every tensor a run needs, calibration
/// is skipped; otherwise the calibrated ranges are added to it. Lets repeated runs share one calibration.</param>
/// <param name="ChannelMeans">The same for the per-channel input means the bias-correction transform measures.</param>
/// <param name="ChannelAbsMax">The same for the per-channel magnitudes of LayerNorm outputs the smoothquant transform measures.</param>
/// <param name="AdaRound">The same for AdaRound's input moments and roundings.</param>
public sealed record StaticQdqOptions(
    IReadOnlySet<string>? KeepFloat = null,
    IDictionary<string, (float Min, float Max)>? Ranges = null,
    IDictionary<string, double[]>? ChannelMeans = null,
    IDictionary<string, double[]>? ChannelAbsMax = null,
    AdaRoundCache? AdaRound = null);
