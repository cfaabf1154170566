using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Pushes a float Mul by a scalar k down its chain until something absorbs it: another scalar Mul (k·k2, as
/// <see cref="ScalarMulChain"/> merges them), a scalar Add it moves past (x·k + b = (x + b/k)·k), a float Conv with
/// initializer weights (<see cref="ConvInputScaleFolder"/>: W·k, zero padding stays zero) or a QuantizeLinear with a
/// scalar scale (its own scale becomes s/k, the DequantizeLinear keeps s). Each step is exact up
/// to float rounding; where nothing absorbs the Mul it stays, one pass as before.
/// </summary>
public static class ScalarMulSinking
{
    /// <returns>How many of the Muls were absorbed.</returns>
    public static int Apply(GraphEditor editor, IEnumerable<NodeProto> muls, Onnx.Io.OnnxModel? source = null)
    {
        int absorbed = 0;
        foreach (var start in muls.ToList())
        {
            var mul = start;
            while (editor.Graph.Node.Contains(mul) && ScalarOperand.Of(editor, mul, source) is { } factor && factor.Value != 0 && float.IsFinite(factor.Value))
            {
                var view = new GraphView(editor.Graph);
                var output = mul.Output[0];
                if (view.SoleReaderOf(output) is not { Domain.Length: 0 } next)
                    break;
                var operand = ScalarOperand.Of(editor, next, source);
                if (next.OpType == "Mul" && operand is not null)
                {
                    // k·v in one Mul, which sinks on.
                    if (ScalarMulChain.Apply(editor, [mul, next], source).Count == 0)
                        break;
                    mul = next;
                    continue;
                }
                if (next.OpType == "Add" && operand is { } shift)
                {
                    // x·k + v = (x + v/k)·k: the Add moves above the Mul.
                    next.Input[shift.DataIndex] = mul.Input[factor.DataIndex];
                    next.Input[shift.ConstantIndex] = editor.AddInitializer(TensorData.Create<float>(next.Input[shift.ConstantIndex] + "_sunk",
                        [shift.Value / factor.Value], editor.FindInitializer(next.Input[shift.ConstantIndex])!.Dims.ToArray()));
                    var sum = editor.Names.Fresh(next.Output[0] + "_unscaled");
                    mul.Input[factor.DataIndex] = sum;
                    mul.Output[0] = next.Output[0];
                    next.Output[0] = sum;
                    editor.SortTopologically();
                    continue;
                }
                if (next.OpType == "Conv")
                {
                    absorbed += ConvInputScaleFolder.Apply(editor, [mul], source).Count;
                    break;
                }
                if (next.OpType == "QuantizeLinear" && factor.Value > 0 && next.Input[0] == output
                    && editor.FindInitializer(next.Input[1]) is { DataType: (int)DT.Float } scale && TensorData.Read<float>(scale, source) is [var s])
                {
                    next.Input[1] = editor.AddInitializer(TensorData.Create<float>(scale.Name + "_input_scaled", [s / factor.Value], scale.Dims.ToArray()));
                    next.Input[0] = mul.Input[factor.DataIndex];
                    editor.RemoveNode(mul);
                    absorbed++;
                }
                break;
            }
        }
        if (absorbed > 0)
        {
            editor.SortTopologically();
            editor.RemoveUnusedInitializers();
            editor.DropStaleValueInfo();
        }
        return absorbed;
    }
}
