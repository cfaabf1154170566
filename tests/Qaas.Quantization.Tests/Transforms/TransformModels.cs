using Qaas.Onnx.Proto;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Tests.Static;

namespace Qaas.Quantization.Tests.Transforms;

/// <summary>What the graph-transform tests share: node and value builders, and the output SQNR of two models.</summary>
internal static class TransformModels
{
    public static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op + "_" + outputs[0] };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    public static ValueInfoProto Float(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    /// <summary>SQNR (dB) of <paramref name="candidate"/>'s first output against <paramref name="reference"/>'s, over a feed.</summary>
    public static double Sqnr(ModelProto reference, ModelProto candidate, SampleFeed feed)
    {
        using var a = new SessionRunner(reference);
        using var b = new SessionRunner(candidate);
        var error = new ErrorAccumulator();
        foreach (var sample in feed.Samples())
            error.Add(a.Run(sample), b.Run(sample));
        return error.SqnrDb;
    }
}
