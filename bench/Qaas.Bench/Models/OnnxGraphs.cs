using Qaas.Onnx.Proto;

namespace Qaas.Bench.Models;

/// <summary>Small ModelProto building blocks shared by the model builders.</summary>
public static class OnnxGraphs
{
    public static ValueInfoProto FloatValue(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public static ModelProto Model(GraphProto graph, long opset = 17) => new()
    {
        IrVersion = 8,
        ProducerName = "qaas-bench",
        OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } },
        Graph = graph,
    };
}
