using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Tests.Transforms;

/// <summary>
/// A DBNet-style upsampling head, opset 13: x[1,8,H,W] -> Conv(3x3, 6) -> Relu -> ConvTranspose(2x2, stride 2, 6, no
/// bias) -> Add(bias [1,6,1,1]) -> BatchNormalization -> Relu -> ConvTranspose(2x2, stride 2, 1, bias) -> Sigmoid -> y,
/// as PaddleOCR's detector exports it. <paramref name="kernel"/>, <paramref name="stride"/> and <paramref name="pad"/>
/// set the first ConvTranspose (the second stays 2x2 stride 2).
/// </summary>
internal static class UpsamplingHeadModel
{
    public const int InChannels = 8, Channels = 6;

    public static ModelProto Build(int kernel = 2, int stride = 2, int pad = 0, int seed = 5)
    {
        var random = new Random(seed);
        float[] Values(int n, float lo, float hi) => Enumerable.Range(0, n).Select(_ => lo + (float)random.NextDouble() * (hi - lo)).ToArray();
        var graph = new GraphProto { Name = "upsampling_head" };
        graph.Input.Add(ModelBuilder.Tensor("x", (int)TensorProto.Types.DataType.Float, 1, InChannels, "h", "w"));
        graph.Output.Add(ModelBuilder.Tensor("y", (int)TensorProto.Types.DataType.Float, 1, 1, "oh", "ow"));
        void Init(string name, float[] values, params long[] dims) => graph.Initializer.Add(TensorData.Create<float>(name, values, dims));
        Init("w0", Values(Channels * InChannels * 9, -0.3f, 0.3f), Channels, InChannels, 3, 3);
        Init("b0", Values(Channels, -0.1f, 0.1f), Channels);
        Init("t1", Values(Channels * Channels * kernel * kernel, -0.5f, 0.5f), Channels, Channels, kernel, kernel);
        Init("t1_bias", Values(Channels, -0.2f, 0.2f), 1, Channels, 1, 1);
        Init("gamma", Values(Channels, 0.5f, 1.5f), Channels);
        Init("beta", Values(Channels, -0.3f, 0.3f), Channels);
        Init("mean", Values(Channels, -0.2f, 0.2f), Channels);
        Init("var", Values(Channels, 0.5f, 2f), Channels);
        Init("t2", Values(Channels * 4, -0.8f, 0.8f), Channels, 1, 2, 2);
        Init("t2_bias", Values(1, -0.2f, 0.2f), 1);
        var transpose = new[] { Attributes.Ints("kernel_shape", kernel, kernel), Attributes.Ints("strides", stride, stride) };
        graph.Node.Add(TransformModels.Node("Conv", ["x", "w0", "b0"], ["c0"], Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(TransformModels.Node("Relu", ["c0"], ["r0"]));
        graph.Node.Add(TransformModels.Node("ConvTranspose", ["r0", "t1"], ["up1"], [.. transpose, Attributes.Ints("pads", pad, pad, pad, pad)]));
        graph.Node.Add(TransformModels.Node("Add", ["up1", "t1_bias"], ["biased"]));
        graph.Node.Add(TransformModels.Node("BatchNormalization", ["biased", "gamma", "beta", "mean", "var"], ["bn"], Attributes.Float("epsilon", 1e-5f)));
        graph.Node.Add(TransformModels.Node("Relu", ["bn"], ["r1"]));
        graph.Node.Add(TransformModels.Node("ConvTranspose", ["r1", "t2", "t2_bias"], ["up2"], Attributes.Ints("kernel_shape", 2, 2), Attributes.Ints("strides", 2, 2)));
        graph.Node.Add(TransformModels.Node("Sigmoid", ["up2"], ["y"]));
        var model = new ModelProto { IrVersion = 7, Graph = graph, ProducerName = "qaas-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }
}
