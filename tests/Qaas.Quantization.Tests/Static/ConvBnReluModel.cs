using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Tests.Transforms;

namespace Qaas.Quantization.Tests.Static;

/// <summary>x[1,3,H,W] -> Conv(3x3, 8 filters, bias) -> BatchNormalization -> Relu -> Conv(1x1, 4 filters) -> y, opset 13.
/// The first Conv's weights and the BatchNorm parameters sit in Constant nodes, as in PaddlePaddle exports.</summary>
internal static class ConvBnReluModel
{
    public const int Channels = 8;

    public static ModelProto Build(int seed = 1)
    {
        var random = new Random(seed);
        float[] Values(int n, float lo, float hi) => Enumerable.Range(0, n).Select(_ => lo + (float)random.NextDouble() * (hi - lo)).ToArray();
        var graph = new GraphProto { Name = "conv_bn_relu" };
        graph.Input.Add(FloatInput("x", [1, 3, -1, -1]));
        graph.Output.Add(FloatInput("y", [1, 4, -1, -1]));
        Constant(graph, "w1", Values(Channels * 3 * 9, -0.5f, 0.5f), [Channels, 3, 3, 3]);
        Constant(graph, "b1", Values(Channels, -0.2f, 0.2f), [Channels]);
        Constant(graph, "gamma", Values(Channels, 0.5f, 1.5f), [Channels]);
        Constant(graph, "beta", Values(Channels, -0.3f, 0.3f), [Channels]);
        Constant(graph, "mean", Values(Channels, -0.2f, 0.2f), [Channels]);
        Constant(graph, "var", Values(Channels, 0.5f, 2f), [Channels]);
        graph.Initializer.Add(TensorData.Create<float>("w2", Values(4 * Channels, -0.5f, 0.5f), [4, Channels, 1, 1]));
        graph.Node.Add(TransformModels.Node("Conv", ["x", "w1", "b1"], ["conv1"], Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(TransformModels.Node("BatchNormalization", ["conv1", "gamma", "beta", "mean", "var"], ["bn"], Attributes.Float("epsilon", 1e-3f)));
        graph.Node.Add(TransformModels.Node("Relu", ["bn"], ["relu"]));
        graph.Node.Add(TransformModels.Node("Conv", ["relu", "w2"], ["y"]));
        var model = new ModelProto { IrVersion = 7, Graph = graph, ProducerName = "qaas-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    private static void Constant(GraphProto graph, string name, float[] values, long[] dims) =>
        graph.Node.Add(TransformModels.Node("Constant", [], [name], Attributes.Tensor("value", TensorData.Create<float>(name, values, dims))));

    private static ValueInfoProto FloatInput(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = d } : new TensorShapeProto.Types.Dimension { DimParam = name + "_dim" + shape.Dim.Count });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
