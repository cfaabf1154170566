using Qaas.Onnx.Graph;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.QOperator;

/// <summary>
/// The bias input of QLinearConv and QGemm: int32 whose scale is implied as x_scale * w_scale[c] with zero point 0.
/// The QDQ model already stores it that way behind a DequantizeLinear; it is requantized only if its scale differs.
/// </summary>
internal static class Int32Bias
{
    public static string? Blocker(QdqPattern pattern, int input, QuantizedTensor weight)
    {
        if (!pattern.Has(input))
            return null;
        if (pattern.Input(input) is not { } bias || bias.ElementType != (int)DT.Int32)
            return "its bias is not stored as int32";
        if (bias.Dims is not [var channels])
            return "its bias is not a constant vector";
        if (bias.ZeroPoints.Any(z => z != 0))
            return "its bias zero point is not 0";
        if (!weight.PerTensor && weight.Scales.Length != channels)
            return "its bias and weight scales have different channel counts";
        return null;
    }

    /// <summary>The name of the int32 bias to feed the QLinear node (call after <see cref="Blocker"/> returned null).</summary>
    public static string Input(QdqPattern pattern, int input, QuantizedTensor x, QuantizedTensor weight, QdqIndex index, GraphEditor editor)
    {
        var bias = pattern.Input(input)!;
        int channels = (int)bias.Dims![0];
        var target = new float[channels];
        bool same = true;
        for (int c = 0; c < channels; c++)
        {
            target[c] = x.Scales[0] * weight.Scales[weight.PerTensor ? 0 : c];
            same &= target[c] == bias.Scales[bias.Scales.Length == 1 ? 0 : c];
        }
        if (same)
            return bias.Values;
        var values = TensorData.Read<int>(index.Initializer(bias.Values)!);
        var requantized = new int[channels];
        for (int c = 0; c < channels; c++)
        {
            double real = values[c] * (double)bias.Scales[bias.Scales.Length == 1 ? 0 : c];
            requantized[c] = (int)Math.Clamp(Math.Round(real / target[c], MidpointRounding.ToEven), int.MinValue, int.MaxValue);
        }
        return editor.AddInitializer(TensorData.Create<int>(bias.Values + "_requantized", requantized, [channels]));
    }
}
