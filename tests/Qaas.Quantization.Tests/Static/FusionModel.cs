using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Tests.Static;

/// <summary>
/// One of each op ONNX Runtime fuses into an integer kernel, chained so every tensor between them is shared:
/// Conv+Relu, a residual Add, Mul by a per-channel constant, Div by a scalar, x*Sigmoid(x), MaxPool, nearest Resize,
/// Concat, an SE-style GlobalAveragePool whose output scales the concatenation, and a final Conv. x[1,3,16,16], opset 13.
/// </summary>
internal static class FusionModel
{
    public static ModelProto Build(int seed = 3)
    {
        var random = new Random(seed);
        float[] Values(int n, float lo, float hi) => Enumerable.Range(0, n).Select(_ => lo + (float)random.NextDouble() * (hi - lo)).ToArray();
        const int F = (int)TensorProto.Types.DataType.Float;
        var g = new GraphProto { Name = "fusion" };
        g.Input.Add(ModelBuilder.Tensor("x", F, 1, 3, 16, 16));
        g.Output.Add(ModelBuilder.Tensor("y", F, 1, 4, 16, 16));
        g.Initializer.Add(TensorData.Create<float>("w1", Values(8 * 3 * 9, -0.5f, 0.5f), [8, 3, 3, 3]));
        g.Initializer.Add(TensorData.Create<float>("b1", Values(8, -0.2f, 0.2f), [8]));
        g.Initializer.Add(TensorData.Create<float>("w2", Values(8 * 8, -0.5f, 0.5f), [8, 8, 1, 1]));
        g.Initializer.Add(TensorData.Create<float>("gain", Values(8, 0.5f, 2f), [1, 8, 1, 1]));
        g.Initializer.Add(TensorData.Create<float>("six", [6f], []));
        g.Initializer.Add(TensorData.Create<float>("scales", [1f, 1f, 2f, 2f], [4]));
        g.Initializer.Add(TensorData.Create<float>("w3", Values(4 * 16, -0.5f, 0.5f), [4, 16, 1, 1]));
        g.Node.Add(Node("Conv", ["x", "w1", "b1"], ["c1"], Attributes.Ints("pads", 1, 1, 1, 1)));
        g.Node.Add(Node("Relu", ["c1"], ["r1"]));
        g.Node.Add(Node("Conv", ["r1", "w2"], ["c2"]));
        g.Node.Add(Node("Add", ["r1", "c2"], ["a"]));
        g.Node.Add(Node("Mul", ["a", "gain"], ["m"]));
        g.Node.Add(Node("Div", ["m", "six"], ["d"]));
        g.Node.Add(Node("Sigmoid", ["d"], ["s"]));
        g.Node.Add(Node("Mul", ["d", "s"], ["p"]));
        g.Node.Add(Node("MaxPool", ["p"], ["mp"], Attributes.Ints("kernel_shape", 2, 2), Attributes.Ints("strides", 2, 2)));
        g.Node.Add(Node("Resize", ["mp", "", "scales"], ["up"], Attributes.String("mode", "nearest")));
        g.Node.Add(Node("Concat", ["up", "p"], ["cat"], Attributes.Int("axis", 1)));
        g.Node.Add(Node("GlobalAveragePool", ["cat"], ["pooled"]));
        g.Node.Add(Node("Mul", ["cat", "pooled"], ["e"]));
        g.Node.Add(Node("Conv", ["e", "w3"], ["y"]));
        var model = new ModelProto { IrVersion = 8, Graph = g, ProducerName = "qaas-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = ModelBuilder.Node(op, op + "_" + outputs[0], inputs, outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }
}
