using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Tests.Static;

/// <summary>x[N,16] -> Gemm(W[8,16], transB=1, bias) -> Relu -> MatMul(W[8,4]) -> y[N,4], opset 13.</summary>
internal static class GemmMatMulModel
{
    public static ModelProto Build(int seed = 3)
    {
        var random = new Random(seed);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var graph = new GraphProto { Name = "gemm_matmul" };
        graph.Input.Add(Value("x", 16));
        graph.Output.Add(Value("y", 4));
        graph.Initializer.Add(TensorData.Create<float>("w1", Values(8 * 16), [8, 16]));
        graph.Initializer.Add(TensorData.Create<float>("b1", Values(8), [8]));
        graph.Initializer.Add(TensorData.Create<float>("w2", Values(8 * 4), [8, 4]));
        graph.Node.Add(Node("Gemm", ["x", "w1", "b1"], ["h"], Attributes.Int("transB", 1)));
        graph.Node.Add(Node("Relu", ["h"], ["r"]));
        graph.Node.Add(Node("MatMul", ["r", "w2"], ["y"]));
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    private static ValueInfoProto Value(string name, long features)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = features });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
