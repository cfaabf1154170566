using Qaas.Onnx.Io;
using Qaas.Quantization.Dynamic;
using Qaas.Quantization.Float16;
using Qaas.Quantization.QOperator;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Search;
using Qaas.Quantization.Static;
using Qaas.Quantization.WeightOnly;

namespace Qaas.Quantization.Pipeline;

/// <summary>Picks the quantizer a resolved recipe asks for.</summary>
public static class Quantizers
{
    /// <summary>Static activation quantization needs activation ranges, hence calibration samples.</summary>
    public static bool NeedsCalibration(Recipe recipe) =>
        recipe.Weights?.Algorithm is "gptq" or "awq" or "adaround" // GPTQ's Hessians, AWQ's scales and AdaRound's moments come from the layers' inputs
        || recipe.MixedPrecision is not null // its sensitivities are measured on calibration samples
        || (!IsFloatConversion(recipe) && recipe.Format != "matmulnbits" && recipe.Activations?.Type is not ("none" or "dynamic")
            && recipe.Weights?.Type is not ("int3" or "nf4" or "fp4e2m1"));

    /// <param name="statistics">Calibration statistics of static quantization: those it holds are used instead of being
    /// measured, and what is measured is added (a restarted job passes what its earlier run measured).</param>
    /// <param name="sensitivities">The same for the acceptance search's per-node sensitivities.</param>
    public static QuantizedModel Run(OnnxModel model, Recipe recipe, SampleFeed? calibration, IProgress<double>? progress, CancellationToken ct,
        StaticQdqOptions? statistics = null, IDictionary<string, double>? sensitivities = null)
    {
        if (IsFloatConversion(recipe)) return Float16Converter.Quantize(model, recipe, ct);
        if (recipe.Format == "matmulnbits")
            return WithAcceptanceNote(WithPrefill(recipe.MixedPrecision is not null
                ? MixedPrecisionSearch.Quantize(model, recipe,
                    calibration ?? throw new ArgumentException("mixed precision needs calibration samples", nameof(calibration)), progress, ct)
                : MatMulNBitsQuantizer.Quantize(model, recipe, MatMulNBitsOptions.Default, ct, calibration, progress), recipe), recipe);
        if (recipe.Activations?.Type == "dynamic") return DynamicQuantizer.Quantize(model, recipe, ct);
        if (recipe.Weights?.Type is "int3" or "nf4" or "fp4e2m1") return CodedWeightQuantizer.Quantize(model, recipe, ct);
        var feed = calibration ?? throw new ArgumentException("static quantization needs calibration samples", nameof(calibration));
        // Acceptance limits on output fidelity: the sensitive nodes fall back to fp32 until they hold.
        var qdq = AcceptanceLimits.From(recipe.Acceptance).Any
            ? SensitivityFallback.Search(model, recipe, feed, progress, ct, new SensitivityFallbackOptions { Statistics = statistics, Sensitivities = sensitivities }).Model
            : StaticQdqQuantizer.Quantize(model, recipe, feed, progress, ct, statistics);
        // QOperator is written from the QDQ graph: the same integer math, as explicit QLinear ops.
        return recipe.Format == "qoperator" ? QdqToQOperator.Apply(qdq) : qdq;
    }

    /// <summary>recipe.prefill: the int8 path for inputs of many rows, <see cref="PrefillBranch.ApplyFor"/>.</summary>
    static QuantizedModel WithPrefill(QuantizedModel quantized, Recipe recipe) =>
        PrefillBranch.ApplyFor(quantized.Model, recipe.Prefill, recipe.Evaluation?.ExecutionProvider) is { } note ? quantized with { Warnings = [.. quantized.Warnings, note] } : quantized;

    // Only static integer quantization searches for what meets the acceptance limits; elsewhere they are a verdict only.
    static QuantizedModel WithAcceptanceNote(QuantizedModel quantized, Recipe recipe) =>
        AcceptanceLimits.From(recipe.Acceptance).Any
            ? quantized with
            {
                Warnings = [.. quantized.Warnings, "The acceptance limits are checked on the result but do not steer this recipe: " +
                    "MatMulNBits weights are not kept in fp32 to meet them (mixed precision's budget, or more bits, is the lever)."],
            }
            : quantized;

    static bool IsFloatConversion(Recipe recipe) => recipe.Weights?.Type is "fp16" or "bf16";
}
