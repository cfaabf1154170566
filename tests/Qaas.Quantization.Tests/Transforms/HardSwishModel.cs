using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Tests.Transforms;

/// <summary>
/// Hard-swish spelled out as PaddlePaddle exports it, opset 13: x[1,4,H,W] -> Conv "first" (3x3, 6) -> Mul(a, Clip(Add(a, 3),
/// 0, 6)) -> Add(0.3) -> Conv "second" (3x3, 6) -> Mul(b, Clip(Add(b, 3), 0, 6)) / 6 -> Mul(0.5) -> y.
/// The first hard-swish has no "/ 6" (an exporter folded it into the next Conv's learnable scale), the second has.
/// </summary>
internal static class HardSwishModel
{
    public const int InChannels = 4;

    public static ModelProto Build(int seed = 8)
    {
        var random = new Random(seed);
        float[] Values(int n, float lo, float hi) => Enumerable.Range(0, n).Select(_ => lo + (float)random.NextDouble() * (hi - lo)).ToArray();
        var graph = new GraphProto { Name = "hard_swish" };
        graph.Input.Add(ModelBuilder.Tensor("x", (int)TensorProto.Types.DataType.Float, 1, InChannels, "h", "w"));
        graph.Output.Add(ModelBuilder.Tensor("y", (int)TensorProto.Types.DataType.Float, 1, 6, "h", "w"));
        void Init(string name, float[] values, params long[] dims) => graph.Initializer.Add(TensorData.Create<float>(name, values, dims));
        Init("w1", Values(6 * InChannels * 9, -1.5f, 1.5f), 6, InChannels, 3, 3);
        Init("b1", Values(6, -0.5f, 0.5f), 6);
        Init("w2", Values(6 * 6 * 9, -0.4f, 0.4f), 6, 6, 3, 3);
        Init("three", [3f], []);
        Init("zero", [0f], []);
        Init("six", [6f], []);
        Init("shift", [0.3f], []);
        Init("half", [0.5f], []);
        graph.Node.Add(Node("Conv", "first", ["x", "w1", "b1"], ["a"], Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(Node("Add", "a_plus_3", ["a", "three"], ["a3"]));
        graph.Node.Add(Node("Clip", "a_clip", ["a3", "zero", "six"], ["ac"]));
        graph.Node.Add(Node("Mul", "a_swish", ["a", "ac"], ["as"]));
        graph.Node.Add(Node("Add", "a_shift", ["as", "shift"], ["ash"]));
        graph.Node.Add(Node("Conv", "second", ["ash", "w2"], ["b"], Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(Node("Add", "b_plus_3", ["three", "b"], ["b3"]));
        graph.Node.Add(Node("Clip", "b_clip", ["b3", "zero", "six"], ["bc"]));
        graph.Node.Add(Node("Mul", "b_swish", ["bc", "b"], ["bs"]));
        graph.Node.Add(Node("Div", "b_div", ["bs", "six"], ["bd"]));
        graph.Node.Add(Node("Mul", "b_half", ["bd", "half"], ["y"]));
        var model = new ModelProto { IrVersion = 7, Graph = graph, ProducerName = "qaas-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    private static NodeProto Node(string op, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = ModelBuilder.Node(op, name, inputs, outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }
}
