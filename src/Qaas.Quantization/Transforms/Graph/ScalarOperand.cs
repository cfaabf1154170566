using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>The float scalar initializer (one element, rank 0 or 1, so broadcasting never changes the other operand's
/// shape) one input of a two-input node holds, opposite a computed input.</summary>
internal readonly record struct ScalarOperand(int ConstantIndex, float Value)
{
    public int DataIndex => 1 - ConstantIndex;

    public static ScalarOperand? Of(GraphEditor editor, NodeProto node, Onnx.Io.OnnxModel? source)
    {
        if (node.Input.Count != 2)
            return null;
        for (int i = 0; i < 2; i++)
            if (editor.FindInitializer(node.Input[i]) is { DataType: (int)DT.Float, Dims.Count: <= 1 } t && editor.FindInitializer(node.Input[1 - i]) is null
                && TensorData.Read<float>(t, source) is [var value])
                return new ScalarOperand(i, value);
        return null;
    }
}
