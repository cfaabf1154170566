using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Pushes a float Mul by a scalar k down its chain until something absorbs it: another scalar Mul (k·k2), a scalar Add
/// it moves past (x·k + b = (x + b/k)·k), a float Conv with initializer weights (W·k; zero padding stays zero) or a
/// QuantizeLinear with a scalar scale (its own scale becomes s/k, the DequantizeLinear keeps s). Each step is exact up
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
                int dataIndex = factor.DataIndex;
                float k = factor.Value;
                var view = new GraphView(editor.Graph);
                var output = mul.Output[0];
                var readers = view.ConsumersOf(output);
                if (readers.Count != 1 || view.IsGraphOutput(output) || readers[0].Domain.Length > 0)
                    break;
                var next = readers[0];
                if (next.OpType is "Mul" or "Add" && ScalarOperand.Of(editor, next, source) is { } operand && next.Input[operand.DataIndex] == output)
                {
                    int i = operand.DataIndex;
                    float v = operand.Value;
                    if (next.OpType == "Mul")
                    {
                        // k·v in one Mul, which sinks on.
                        next.Input[i] = mul.Input[dataIndex];
                        next.Input[1 - i] = Scalar(editor, next.Input[1 - i], k * v);
                        editor.RemoveNode(mul);
                        mul = next;
                        continue;
                    }
                    // x·k + v = (x + v/k)·k: the Add moves above the Mul.
                    next.Input[i] = mul.Input[dataIndex];
                    next.Input[1 - i] = Scalar(editor, next.Input[1 - i], v / k);
                    var sum = editor.Names.Fresh(next.Output[0] + "_unscaled");
                    mul.Input[dataIndex] = sum;
                    mul.Output[0] = next.Output[0];
                    next.Output[0] = sum;
                    editor.SortTopologically();
                    continue;
                }
                if (next.OpType == "Conv" && next.Input[0] == output && editor.FindInitializer(next.Input[1]) is { DataType: (int)DT.Float } weight)
                {
                    var w = TensorData.Read<float>(weight, source);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(w, k, w);
                    next.Input[1] = editor.AddInitializer(TensorData.Create<float>(weight.Name + "_input_scaled", w, weight.Dims.ToArray()));
                    next.Input[0] = mul.Input[dataIndex];
                    editor.RemoveNode(mul);
                    absorbed++;
                    break;
                }
                if (next.OpType == "QuantizeLinear" && k > 0 && next.Input[0] == output && editor.FindInitializer(next.Input[1]) is { DataType: (int)DT.Float } scale
                    && TensorData.Read<float>(scale, source) is [var s])
                {
                    next.Input[1] = editor.AddInitializer(TensorData.Create<float>(scale.Name + "_input_scaled", [s / k], scale.Dims.ToArray()));
                    next.Input[0] = mul.Input[dataIndex];
                    editor.RemoveNode(mul);
                    absorbed++;
                    break;
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

    private static string Scalar(GraphEditor editor, string like, float value) =>
        editor.AddInitializer(TensorData.Create<float>(like + "_sunk", [value], editor.FindInitializer(like)!.Dims.ToArray()));
}
