using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Folds a constant Mul or Add that alone reads a Conv's output (a scalar, or one value per output channel shaped
/// [C,1,...] / [1,C,1,...]) into that Conv: Mul by c gives W' = W * c, b' = b * c; Add of d gives b' = b + d.
/// Exports of re-parameterized blocks (PP-LCNetV3's learnable affine after every Conv) leave these behind. ONNX Runtime
/// folds them itself for fp32, but not once the weights sit behind a DequantizeLinear, so a quantizer must fold first.
/// </summary>
public static class ConvAffineFolder
{
    /// <returns>How many Mul/Add nodes were folded away.</returns>
    public static int Apply(ModelProto model)
    {
        var editor = new GraphEditor(model);
        editor.PromoteConstantsToInitializers();
        int folded = 0;
        bool changed = true;
        while (changed)
        {
            changed = false;
            var view = new GraphView(model.Graph);
            var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
            foreach (var conv in model.Graph.Node.Where(n => n.OpType == "Conv" && n.Domain.Length == 0).ToList())
            {
                var output = conv.Output[0];
                var readers = view.ConsumersOf(output);
                if (readers.Count != 1 || view.IsGraphOutput(output))
                    continue;
                var op = readers[0];
                if (op.Domain.Length > 0 || op.OpType is not ("Mul" or "Add") || op.Input.Count != 2)
                    continue;
                var constantName = op.Input[0] == output ? op.Input[1] : op.Input[0];
                if (!initializers.TryGetValue(conv.Input[1], out var weight) || weight.DataType != (int)DT.Float
                    || !initializers.TryGetValue(constantName, out var constant) || constant.DataType != (int)DT.Float)
                    continue;
                int channels = (int)weight.Dims[0];
                var perChannel = PerChannel(constant, channels, weight.Dims.Count);
                if (perChannel is null)
                    continue;
                float[] bias = conv.Input.Count > 2 && conv.Input[2].Length > 0
                    ? (initializers.TryGetValue(conv.Input[2], out var b) && b.DataType == (int)DT.Float ? TensorData.Read<float>(b) : null!)
                    : new float[channels];
                if (bias is null)
                    continue;
                if (op.OpType == "Mul")
                {
                    var w = TensorData.Read<float>(weight);
                    int per = w.Length / channels;
                    for (int c = 0; c < channels; c++)
                    {
                        System.Numerics.Tensors.TensorPrimitives.Multiply(w.AsSpan(c * per, per), perChannel[c], w.AsSpan(c * per, per));
                        bias[c] *= perChannel[c];
                    }
                    conv.Input[1] = editor.AddInitializer(TensorData.Create<float>(conv.Input[1] + "_scaled", w, weight.Dims.ToArray()));
                }
                else
                {
                    for (int c = 0; c < channels; c++)
                        bias[c] += perChannel[c];
                }
                var newBias = editor.AddInitializer(TensorData.Create<float>(conv.Input[1] + "_bias", bias, [channels]));
                if (conv.Input.Count > 2) conv.Input[2] = newBias;
                else conv.Input.Add(newBias);
                conv.Output[0] = op.Output[0];
                editor.RemoveNode(op);
                folded++;
                changed = true;
                break; // the view is stale now
            }
        }
        if (folded > 0)
        {
            editor.RemoveUnusedInitializers();
            editor.DropStaleValueInfo();
        }
        return folded;
    }

    /// <summary>The constant as one value per output channel, or null when it broadcasts any other way.</summary>
    private static float[]? PerChannel(TensorProto constant, int channels, int convRank)
    {
        var dims = constant.Dims.ToArray();
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (dims.Length > convRank)
            return null;
        var values = TensorData.Read<float>(constant);
        if (count == 1)
            return Enumerable.Repeat(values[0], channels).ToArray();
        // Right-aligned against [N, C, spatial...]: only the C position may exceed 1.
        int channelPosition = dims.Length - (convRank - 1);
        if (count != channels || channelPosition < 0 || dims[channelPosition] != channels)
            return null;
        return values;
    }
}
