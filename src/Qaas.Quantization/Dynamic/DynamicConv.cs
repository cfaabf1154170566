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
    /// <summary>A selected Conv of <see cref="Scope"/> whose weight and bias (if any) are float initializers, its own or captured.</summary>
    public sealed record Candidate(NodeProto Conv, GraphScope Scope, ScopedConstant Weight, TensorProto? Bias);

    /// <summary>A quantized weight's initializers (ZeroPoint "" when 0) and its relative error.</summary>
    public sealed record QuantizedWeight(string Values, string Scale, string ZeroPoint, double Error);

    public static IReadOnlyList<Candidate> Candidates(GraphScope scope, Recipes.NodeSelection? selection)
    {
        ScopedConstant? FloatInitializer(string name, int minRank) =>
            scope.Resolve(name) is { FromConstantNode: false } c && c.Tensor.DataType == (int)DT.Float && c.Tensor.Dims.Count >= minRank ? c : null;
        var found = new List<Candidate>();
        foreach (var n in scope.Graph.Node)
        {
            if (n.OpType != "Conv" || n.Domain is not ("" or "ai.onnx") || !WeightedMatMuls.IsSelected(n, selection, scope.NameOf(n))
                || n.Input.Count < 2 || FloatInitializer(n.Input[1], 3) is not { } weight) continue;
            bool hasBias = n.Input.Count > 2 && n.Input[2].Length > 0;
            var bias = hasBias ? FloatInitializer(n.Input[2], 1) : null;
            if (hasBias && bias is null) continue;
            found.Add(new Candidate(n, scope, weight, bias?.Tensor));
        }
        return found;
    }

    /// <summary>W quantized per output channel (or per tensor), its initializers added by <paramref name="editor"/>.</summary>
    public static QuantizedWeight QuantizeWeight(GraphEditor editor, Candidate c, QuantType type, bool symmetric, bool perTensor,
        Onnx.Io.OnnxModel source)
    {
        var weight = c.Weight.Tensor;
        var w = TensorData.Read<float>(weight, source);
        var shape = weight.Dims.Select(d => checked((int)d)).ToArray();
        var p = perTensor ? QuantParamsCalculator.PerTensor(w, type, symmetric) : QuantParamsCalculator.PerChannel(w, shape, 0, type, symmetric);
        var values = TensorQuantizer.Quantize(w, shape, p);
        // Scale and bias broadcast over the output's spatial axes: [M, 1, ..., 1].
        long[] broadcast = [p.Scales.Length, .. Enumerable.Repeat(1L, shape.Length - 2)];
        var dataType = type == QuantType.Int8 ? (int)DT.Int8 : (int)DT.Uint8;
        var name = c.Weight.Name;
        var wq = editor.AddInitializer(TensorData.Create<byte>($"{name}_quantized", values, weight.Dims.ToArray(), dataType));
        var wScale = editor.AddInitializer(TensorData.Create<float>($"{name}_scale", p.Scales, p.Scales.Length == 1 ? [] : broadcast));
        string wZeroPoint = "";
        if (p.ZeroPoints.Any(z => z != 0))
        {
            // ONNX Runtime's ConvInteger takes a single weight zero point (its CPU kernel refuses a per-channel one).
            if (p.ZeroPoints.Distinct().Count() > 1)
                throw new NotSupportedException($"Conv '{ReportName(c)}': ONNX Runtime's ConvInteger takes one weight zero point, but asymmetric " +
                    "per-channel weights need one per channel. Use symmetric weights or per-tensor granularity for dynamic Conv quantization.");
            wZeroPoint = editor.AddInitializer(TensorData.Create<byte>($"{name}_zero_point", [(byte)p.ZeroPoints[0]], [], dataType));
        }
        var restored = TensorQuantizer.Dequantize(values, shape, p);
        return new QuantizedWeight(wq, wScale, wZeroPoint, WeightError.Relative(w, restored));
    }

    /// <summary>Replaces the Conv (in its own graph, through <paramref name="editor"/>) by the integer form over <paramref name="w"/>.</summary>
    public static NodeReport Rewrite(GraphEditor editor, Candidate c, QuantizedWeight w, QuantType type, DynamicInputs inputs,
        Onnx.Io.OnnxModel source)
    {
        var conv = c.Conv;
        var name = conv.Name.Length > 0 ? conv.Name : conv.Output[0];
        var x = inputs.Of(editor, conv.Input[0]);
        var output = conv.Output[0];
        var product = editor.Names.Fresh(output + "_int32");
        editor.AddNode("ConvInteger", [x.Q, w.Values, x.ZeroPoint, w.ZeroPoint], [product], name + "_ConvInteger", "",
            conv.Attribute.Select(a => a.Clone()).ToArray());
        var asFloat = editor.Names.Fresh(output + "_float");
        editor.AddNode("Cast", [product], [asFloat], name + "_Cast", "", Attributes.Int("to", (long)DT.Float));
        var scale = editor.Names.Fresh(output + "_scale");
        editor.AddNode("Mul", [x.Scale, w.Scale], [scale], name + "_scale");
        if (c.Bias is { } biasTensor)
        {
            var b = TensorData.Read<float>(biasTensor, source);
            long[] broadcast = [.. c.Weight.Tensor.Dims.Take(1), .. Enumerable.Repeat(1L, c.Weight.Tensor.Dims.Count - 2)];
            var bias = editor.AddInitializer(TensorData.Create<float>($"{conv.Input[2]}_broadcast", b, broadcast));
            var rescaled = editor.Names.Fresh(output + "_rescaled");
            editor.AddNode("Mul", [asFloat, scale], [rescaled], name + "_rescale");
            editor.AddNode("Add", [rescaled, bias], [output], name + "_bias");
        }
        else
        {
            editor.AddNode("Mul", [asFloat, scale], [output], name + "_rescale");
        }
        editor.RemoveNode(conv);
        return new NodeReport(ReportName(c), "Conv", type.RecipeName(), 8, null, w.Error);
    }

    private static string ReportName(Candidate c) =>
        !c.Scope.IsMain ? c.Scope.NameOf(c.Conv) : c.Conv.Name.Length > 0 ? c.Conv.Name : c.Conv.Output[0];
}
