using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.QOperator;

/// <summary>
/// Which element types ONNX Runtime 1.30's CPU kernels take, checked by running each combination (QdqToQOperatorTests):
/// int8 activations with uint8 weights fail with "Could not find an implementation for QLinearConv(10)" (and QGemm);
/// per-channel weight zero points that differ run fine. Activations in and out share one type.
/// </summary>
internal static class QLinearKernels
{
    /// <summary>QLinearConv, QLinearMatMul, QGemm: uint8 activations with uint8 or int8 weights, int8 with int8.
    /// Kept in step with RecipeValidator's qoperator rule.</summary>
    public static bool RunsProduct(QuantizedTensor activation, QuantizedTensor weight) =>
        (activation.ElementType, weight.ElementType) is ((int)DT.Uint8, (int)DT.Uint8) or ((int)DT.Uint8, (int)DT.Int8)
            or ((int)DT.Int8, (int)DT.Int8);

    /// <summary>Why the activations of a pattern cannot run, or null: 8-bit, one type, per tensor.</summary>
    public static string? ActivationBlocker(QdqPattern pattern, IEnumerable<QuantizedTensor?> activations)
    {
        foreach (var a in activations)
        {
            if (a is null)
                return "an input is not dequantized from a per-tensor integer tensor";
            if (!a.PerTensor)
                return $"input '{a.Values}' is quantized per channel";
            if (a.ElementType != pattern.Output.ElementType)
                return $"input '{a.Values}' is {a.TypeName} and the output {pattern.Output.TypeName}";
        }
        return null;
    }
}
