using Qaas.Quantization.Formats;
using Qaas.Quantization.Recipes;

namespace Qaas.Quantization.Static;

/// <summary>The parts of a resolved recipe that static QDQ quantization reads, parsed and checked once.</summary>
public sealed record StaticQuantSettings(
    QuantType WeightType,
    bool PerChannelWeights,
    bool SymmetricWeights,
    QuantType ActivationType,
    bool SymmetricActivations,
    ActivationSpec Activations)
{
    /// <summary>Whether weights or activations use a float8 format (QDQ that ONNX Runtime only simulates).</summary>
    public bool IsFloat8 => IsFloat8Type(WeightType) || IsFloat8Type(ActivationType);

    public static StaticQuantSettings From(Recipe recipe, ICollection<string> warnings)
    {
        var weights = recipe.Weights ?? new WeightSpec();
        var activations = recipe.Activations ?? new ActivationSpec();
        var weightType = QuantTypeInfo.Parse(weights.Type ?? "int8");
        var activationType = QuantTypeInfo.Parse(activations.Type ?? "uint8");
        if (!Supported(weightType))
            throw new NotSupportedException($"Static QDQ quantization supports int8, uint8, fp8e4m3fn and fp8e5m2 weights, not '{weights.Type}'.");
        if (!Supported(activationType))
            throw new NotSupportedException($"Static QDQ quantization supports uint8, int8, fp8e4m3fn and fp8e5m2 activations, not '{activations.Type}'.");

        var granularity = weights.Granularity ?? "per-channel";
        if (granularity == "per-group")
            warnings.Add("Static QDQ has no per-group weights; per-channel scales were used instead.");
        bool perChannel = granularity != "per-tensor";
        // Float8 zero points must be 0: float targets are always symmetric.
        bool symmetricWeights = IsFloat8Type(weightType) || (weights.Symmetric ?? true);
        bool symmetricActivations = IsFloat8Type(activationType) || (activations.Symmetric ?? false);
        return new StaticQuantSettings(weightType, perChannel, symmetricWeights, activationType, symmetricActivations,
            activations with { Symmetric = symmetricActivations });
    }

    public static bool IsFloat8Type(QuantType t) => t is QuantType.Float8E4M3FN or QuantType.Float8E5M2;

    private static bool Supported(QuantType t) => t is QuantType.Int8 or QuantType.UInt8 || IsFloat8Type(t);
}
