using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Calibration;
using Qaas.Quantization.Static;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// The hard-swish that MobileNetV3-style exports spell out, Mul(x, Clip(Add(x, 3), 0, 6)) [then / 6], becomes one
/// HardSwish (opset 14) [then Mul by 6]: three or four passes over a float tensor instead of one. Only float chains
/// are matched (each intermediate read by the next op alone), so the ops kept in fp32 next to quantized ones, where
/// these tensors are the largest of the model, get cheaper, and integer regions are left alone. x·clip(x + 3, 0, 6) / 6
/// and ONNX's x·max(0, min(1, x/6 + 1/2)) differ by float rounding only.
/// </summary>
public static class HardSwishFusion
{
    private const long Opset = 14;

    /// <returns>The Mul-by-6 nodes written where no division by 6 followed (for <see cref="ScalarMulSinking"/>);
    /// <paramref name="fused"/> counts every HardSwish written.</returns>
    public static IReadOnlyList<NodeProto> Apply(GraphEditor editor, out int fused, Onnx.Io.OnnxModel? source = null)
    {
        fused = 0;
        var sixes = new List<NodeProto>();
        long opset = Opsets.Of(editor.Model).GetValueOrDefault("");
        if (opset < Opset && OpsetUpgradeCheck.Blockers(editor.Graph, opset, Opset).Count > 0)
            return sixes;
        var view = new GraphView(editor.Graph);
        foreach (var add in editor.Graph.Node.Where(n => n.OpType == "Add" && n.Domain.Length == 0 && n.Input.Count == 2).ToList())
        {
            if (ScalarOperand.Of(editor, add, source) is not { Value: 3f } three)
                continue;
            var x = add.Input[three.DataIndex];
            if (view.SoleReaderOf(add.Output[0]) is not { OpType: "Clip", Domain.Length: 0 } clip || !ClipsTo(editor, clip, 0, 6, source)
                || view.SoleReaderOf(clip.Output[0]) is not { OpType: "Mul", Domain.Length: 0 } mul || mul.Input.Count != 2
                || mul.Input[mul.Input[0] == clip.Output[0] ? 1 : 0] != x)
                continue;
            // A division by 6 (or a Mul by 1/6) right after is part of the pattern.
            var after = view.SoleReaderOf(mul.Output[0]) is { Domain.Length: 0 } reader ? reader : null;
            bool divided = after is not null && (after.OpType == "Div" && ScalarOperand.Of(editor, after, source) is { ConstantIndex: 1, Value: 6f }
                || after.OpType == "Mul" && ScalarOperand.Of(editor, after, source) is { Value: var r } && Math.Abs(r * 6 - 1) < 1e-6f);
            var output = divided ? after!.Output[0] : mul.Output[0];
            foreach (var n in divided ? new[] { add, clip, mul, after! } : [add, clip, mul])
                editor.RemoveNode(n);
            if (divided)
                editor.AddNode("HardSwish", [x], [output], add.Name.Length > 0 ? add.Name + "_hardswish" : null);
            else
            {
                var scaled = editor.Names.Fresh(output + "_over_6");
                editor.AddNode("HardSwish", [x], [scaled], add.Name.Length > 0 ? add.Name + "_hardswish" : null);
                var six = editor.AddInitializer(TensorData.Create<float>(output + "_six", [6f], []));
                sixes.Add(editor.AddNode("Mul", [scaled, six], [output], mul.Name.Length > 0 ? mul.Name : null));
            }
            fused++;
            view = new GraphView(editor.Graph);
        }
        if (fused > 0)
        {
            editor.EnsureOpset("", Opset);
            editor.SortTopologically();
            editor.RemoveUnusedInitializers();
        }
        return sixes;
    }

    /// <summary>Clip with constant bounds min and max (attributes before opset 11, inputs from then on).</summary>
    private static bool ClipsTo(GraphEditor editor, NodeProto clip, float min, float max, Onnx.Io.OnnxModel? source) =>
        NodeParameters.ClipBounds(clip, name =>
            editor.FindInitializer(name) is { DataType: (int)DT.Float } t && TensorData.Read<float>(t, source) is [var v] ? v : null)
        == (min, max);
}
