using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Static;

/// <summary>
/// Keeps fp32 Convs fp32 at run time. ONNX Runtime (1.20 and later) quantizes, at load, the float initializer weights
/// and bias of any Conv, ConvTranspose or Gemm whose input comes from a per-tensor DequantizeLinear: int8 per-tensor
/// weights we did not choose, for a node the recipe or the acceptance search kept in fp32 (and a Round node that an
/// opset-10 model cannot hold, so the session fails). Such a node gets a DequantizeLinear of its own with the same scale
/// repeated per channel (axis 1): the same values, but not a per-tensor DequantizeLinear, so ORT leaves the node alone.
/// </summary>
public static class FloatWeightGuard
{
    /// <returns>How many nodes got their own per-channel DequantizeLinear.</returns>
    public static int Apply(GraphEditor editor)
    {
        int guarded = 0;
        var view = new GraphView(editor.Graph);
        long opset = Opsets.Of(editor.Model).GetValueOrDefault("");
        foreach (var node in editor.Graph.Node.Where(n => n.OpType is "Conv" or "ConvTranspose" or "Gemm" && n.Domain.Length == 0).ToList())
        {
            if (node.Input.Count < 2 || editor.FindInitializer(node.Input[1]) is not { DataType: (int)DT.Float } weight
                || view.ProducerOf(node.Input[0]) is not { OpType: "DequantizeLinear" } dq || dq.Input.Count < 2
                || editor.FindInitializer(dq.Input[1]) is not { } scale || TensorLayout.ElementCount(scale) != 1
                || dq.Domain.Length == 0 && opset < 13 // the axis attribute
                || Channels(node, weight) is not { } channels)
                continue;
            var zeroPoint = dq.Input.Count > 2 && dq.Input[2].Length > 0 ? editor.FindInitializer(dq.Input[2]) : null;
            if (dq.Input.Count > 2 && dq.Input[2].Length > 0 && zeroPoint is null)
                continue;
            var inputs = new List<string> { dq.Input[0], editor.AddInitializer(Repeated(scale, channels)) };
            if (zeroPoint is not null)
                inputs.Add(editor.AddInitializer(Repeated(zeroPoint, channels)));
            var own = editor.Names.Fresh(node.Input[0] + "_for_" + (node.Name.Length > 0 ? node.Name : node.Output[0]));
            editor.AddNode("DequantizeLinear", inputs, [own], own, dq.Domain, Attributes.Int("axis", AxisOf(node)));
            node.Input[0] = own;
            guarded++;
        }
        if (guarded > 0)
            editor.SortTopologically();
        return guarded;
    }

    // Gemm with transA reads its input transposed: the K axis is then 0.
    private static long AxisOf(NodeProto node) =>
        node.OpType == "Gemm" && (Attributes.Find(node, "transA")?.I ?? 0) == 1 ? 0 : 1;

    /// <summary>The length of the input's axis that <see cref="AxisOf"/> names: the Conv's input channels, the Gemm's K.</summary>
    private static long? Channels(NodeProto node, TensorProto weight)
    {
        if (weight.Dims.Count < 2)
            return null;
        return node.OpType switch
        {
            "Conv" => weight.Dims[1] * (Attributes.Find(node, "group")?.I ?? 1),
            "ConvTranspose" => weight.Dims[0],
            _ => (Attributes.Find(node, "transB")?.I ?? 0) == 1 ? weight.Dims[1] : weight.Dims[0],
        };
    }

    private static TensorProto Repeated(TensorProto scalar, long count)
    {
        var repeated = scalar.Clone();
        repeated.Name = scalar.Name + "_per_channel";
        repeated.Dims.Clear();
        repeated.Dims.Add(count);
        var bytes = scalar.RawData.Length > 0 ? scalar.RawData.ToByteArray() : null;
        if (bytes is not null)
        {
            var raw = new byte[bytes.Length * count];
            for (long i = 0; i < count; i++)
                bytes.CopyTo(raw, i * bytes.Length);
            repeated.RawData = Google.Protobuf.ByteString.CopyFrom(raw);
        }
        else
        {
            // Typed fields: float_data for the scale, int32_data for 8-bit zero points.
            var floats = scalar.FloatData.ToArray();
            var ints = scalar.Int32Data.ToArray();
            repeated.FloatData.Clear();
            repeated.Int32Data.Clear();
            for (long i = 0; i < count; i++)
            {
                repeated.FloatData.AddRange(floats);
                repeated.Int32Data.AddRange(ints);
            }
        }
        return repeated;
    }
}
