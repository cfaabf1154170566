using Qaas.Quantization.Pipeline;

namespace Qaas.Quantization.Search;

/// <summary>What <see cref="SensitivityFallback"/> found.</summary>
/// <param name="Model">The chosen model; its node reports carry the sensitivities and the fp32-kept nodes.</param>
/// <param name="KeptFloat">Nodes left in fp32, most sensitive first (empty when the fully quantized model passed).</param>
/// <param name="Sensitivity">Per node, the output SQNR (dB) with only that node quantized; empty when not measured.</param>
/// <param name="SqnrBeforeDb">Lowest output SQNR of the fully quantized model on the calibration samples, or null
/// when the recipe has no fidelity limits.</param>
/// <param name="SqnrAfterDb">The same for <paramref name="Model"/>.</param>
/// <param name="LimitsMet">Whether <paramref name="Model"/> meets the acceptance limits (true when there are none).</param>
public sealed record FallbackResult(
    QuantizedModel Model,
    IReadOnlyList<string> KeptFloat,
    IReadOnlyDictionary<string, double> Sensitivity,
    double? SqnrBeforeDb,
    double? SqnrAfterDb,
    bool LimitsMet);
