using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Kernels;
using Qaas.Quantization.Reports;
using Qaas.Quantization.WeightOnly;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Dynamic;

/// <summary>
/// One Conv with a constant float weight W[M, C/group, k...] rewritten for dynamic quantization:
/// <code>
/// x_q, x_scale, x_zp = DynamicQuantizeLinear(x)            // shared with every reader of x
/// y = Cast&lt;float&gt;(ConvInteger(x_q, W_q, x_zp, W_zp)) * (x_scale * W_scale[M, 1...]) + bias[M, 1...]
/// </code>
/// W is quantized per output channel (axis 0) unless the recipe asks for per-tensor.
/// </summary>
internal static class DynamicConv
{
    /// <summary>The selected Convs this rewrite applies to: weight and bias (if any) float initializers.</summary>
    public static IEnumerable<NodeProto> Candidates(GraphEditor editor, Recipes.NodeSelection? selection)
    {
        var inputs = editor.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        bool IsFloatInitializer(string name, int minRank) => name.Length > 0 && !inputs.Contains(name)
            && editor.FindInitializer(name) is { DataType: (int)DT.Float } t && t.Dims.Count >= minRank;
        return editor.Graph.Node.Where(n => n.OpType == "Conv" && n.Domain is "" or "ai.onnx"
            && WeightedMatMuls.IsSelected(n, selection)
            && n.Input.Count >= 2 && IsFloatInitializer(n.Input[1], 3)
            && (n.Input.Count < 3 || n.Input[2].Length == 0 || IsFloatInitializer(n.Input[2], 1))).ToList();
    }

    public static NodeReport Rewrite(GraphEditor editor, NodeProto conv, QuantType type, bool symmetric, bool perTensor,
        DynamicInputs inputs, Onnx.Io.OnnxModel source)
    {
        var weight = editor.FindInitializer(conv.Input[1])!;
        var w = TensorData.Read<float>(weight, source);
        var shape = weight.Dims.Select(d => checked((int)d)).ToArray();
        var p = perTensor ? QuantParamsCalculator.PerTensor(w, type, symmetric) : QuantParamsCalculator.PerChannel(w, shape, 0, type, symmetric);
        var values = TensorQuantizer.Quantize(w, shape, p);
        int channels = shape[0];
        // Scale and bias broadcast over the output's spatial axes: [M, 1, ..., 1].
        long[] broadcast = [p.Scales.Length, .. Enumerable.Repeat(1L, shape.Length - 2)];
        var name = conv.Name.Length > 0 ? conv.Name : conv.Output[0];
        var dataType = type == QuantType.Int8 ? (int)DT.Int8 : (int)DT.Uint8;
        var wq = editor.AddInitializer(TensorData.Create<byte>($"{conv.Input[1]}_quantized", values, weight.Dims.ToArray(), dataType));
        var wScale = editor.AddInitializer(TensorData.Create<float>($"{conv.Input[1]}_scale", p.Scales,
            p.Scales.Length == 1 ? [] : broadcast));
        string wZeroPoint = "";
        if (p.ZeroPoints.Any(z => z != 0))
        {
            // ONNX Runtime's ConvInteger takes a single weight zero point (its CPU kernel refuses a per-channel one).
            if (p.ZeroPoints.Distinct().Count() > 1)
                throw new NotSupportedException($"Conv '{name}': ONNX Runtime's ConvInteger takes one weight zero point, but asymmetric " +
                    "per-channel weights need one per channel. Use symmetric weights or per-tensor granularity for dynamic Conv quantization.");
            wZeroPoint = editor.AddInitializer(TensorData.Create<byte>($"{conv.Input[1]}_zero_point", [(byte)p.ZeroPoints[0]], [], dataType));
        }

        var x = inputs.Of(conv.Input[0]);
        var output = conv.Output[0];
        var product = editor.Names.Fresh(output + "_int32");
        editor.AddNode("ConvInteger", [x.Q, wq, x.ZeroPoint, wZeroPoint], [product], name + "_ConvInteger", "",
            conv.Attribute.Select(a => a.Clone()).ToArray());
        var asFloat = editor.Names.Fresh(output + "_float");
        editor.AddNode("Cast", [product], [asFloat], name + "_Cast", "", Attributes.Int("to", (long)DT.Float));
        var scale = editor.Names.Fresh(output + "_scale");
        editor.AddNode("Mul", [x.Scale, wScale], [scale], name + "_scale");
        if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
        {
            var b = TensorData.Read<float>(editor.FindInitializer(conv.Input[2])!, source);
            var bias = editor.AddInitializer(TensorData.Create<float>($"{conv.Input[2]}_broadcast", b, [channels, .. broadcast[1..]]));
            var rescaled = editor.Names.Fresh(output + "_rescaled");
            editor.AddNode("Mul", [asFloat, scale], [rescaled], name + "_rescale");
            editor.AddNode("Add", [rescaled, bias], [output], name + "_bias");
        }
        else
        {
            editor.AddNode("Mul", [asFloat, scale], [output], name + "_rescale");
        }
        editor.RemoveNode(conv);
        var restored = TensorQuantizer.Dequantize(values, shape, p);
        return new NodeReport(name, "Conv", type.RecipeName(), 8, null, WeightError.Relative(w, restored));
    }
}
