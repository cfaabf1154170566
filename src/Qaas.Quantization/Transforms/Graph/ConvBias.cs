using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>Gives a Conv without a bias a zero one (same output), so a transform has a bias to rescale or correct.</summary>
public static class ConvBias
{
    /// <returns>The name of the Conv's bias initializer, new or existing.</returns>
    public static string Ensure(GraphEditor editor, NodeProto conv)
    {
        if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
            return conv.Input[2];
        long channels = editor.FindInitializer(conv.Input[1])!.Dims[0];
        var name = editor.AddInitializer(TensorData.Create<float>(conv.Input[1] + "_bias", new float[channels], [channels]));
        if (conv.Input.Count == 2) conv.Input.Add(name);
        else conv.Input[2] = name;
        return name;
    }
}
