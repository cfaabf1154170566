using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.TestSupport;

/// <summary>Hand-built small models for tests.</summary>
public static class ModelBuilder
{
    public static ValueInfoProto Tensor(string name, int elemType, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s }
                                        : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } },
        };
    }

    public static NodeProto Node(string op, string name, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }

    /// <summary>The graph as a model of IR 8 at the given default-domain opset.</summary>
    public static ModelProto Model(GraphProto graph, long opset = 17)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "qaas-tests", ProducerVersion = "1", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>y = Relu(x @ W + b) with W [4,3] and b [3] as initializers; opset 13, IR 8.</summary>
    public static ModelProto Mlp()
    {
        const int F = (int)TensorProto.Types.DataType.Float;
        var g = new GraphProto { Name = "mlp" };
        g.Input.Add(Tensor("x", F, "batch", 4));
        g.Output.Add(Tensor("y", F, "batch", 3));
        g.Initializer.Add(TensorData.Create<float>("W", Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray(), [4, 3]));
        g.Initializer.Add(TensorData.Create<float>("b", new float[] { 1, 2, 3 }, [3]));
        g.Node.Add(Node("MatMul", "mm", ["x", "W"], ["xw"]));
        g.Node.Add(Node("Add", "add", ["xw", "b"], ["z"]));
        g.Node.Add(Node("Relu", "relu", ["z"], ["y"]));
        g.ValueInfo.Add(Tensor("xw", F, "batch", 3));
        return Model(g, opset: 13);
    }
}
