using Google.Protobuf;
using Qaas.Onnx.Proto;

namespace Qaas.Bench.Models;

/// <summary>C = A + B over float[1]: the smallest useful model, so a Run call measures the binding, not the kernels.</summary>
public static class TinyAddModel
{
    public static byte[] Bytes()
    {
        var graph = new GraphProto { Name = "tiny-add" };
        graph.Input.Add(OnnxGraphs.FloatValue("A", 1));
        graph.Input.Add(OnnxGraphs.FloatValue("B", 1));
        graph.Output.Add(OnnxGraphs.FloatValue("C", 1));
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "A", "B" }, Output = { "C" } });
        return OnnxGraphs.Model(graph).ToByteArray();
    }
}
