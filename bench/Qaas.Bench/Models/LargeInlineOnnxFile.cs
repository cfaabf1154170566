using Google.Protobuf;
using Qaas.Onnx.Proto;

namespace Qaas.Bench.Models;

/// <summary>
/// Writes a valid single-file .onnx whose one initializer W (float[count]) carries its values inline as raw_data,
/// streaming the bytes: the protobuf framing (tags and lengths) is written by hand around them, so a 1 GiB model is
/// produced without ever holding 1 GiB. Graph: Y = Mul(X[1], W).
/// </summary>
public static class LargeInlineOnnxFile
{
    private const int GraphField = 7;       // ModelProto.graph
    private const int InitializerField = 5; // GraphProto.initializer
    private const int RawDataField = 9;     // TensorProto.raw_data

    public static void Write(string path, long floatCount)
    {
        var rawBytes = floatCount * sizeof(float);
        var graph = new GraphProto { Name = "large-inline" };
        graph.Input.Add(OnnxGraphs.FloatValue("X", 1));
        graph.Output.Add(OnnxGraphs.FloatValue("Y", floatCount));
        graph.Node.Add(new NodeProto { OpType = "Mul", Name = "mul", Input = { "X", "W" }, Output = { "Y" } });
        var model = OnnxGraphs.Model(graph);
        model.Graph = null;
        var modelHead = model.ToByteArray();
        var graphHead = graph.ToByteArray();
        // W without its data; raw_data (field 9) follows it inside the same TensorProto.
        var tensorHead = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float, Dims = { floatCount } }.ToByteArray();

        var tensorLength = tensorHead.Length + Frame(RawDataField, rawBytes).Length + rawBytes;
        var graphLength = graphHead.Length + Frame(InitializerField, tensorLength).Length + tensorLength;

        var chunk = new byte[1 << 20];
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(chunk.AsSpan());
        var rng = new Random(11);
        for (var i = 0; i < floats.Length; i++) floats[i] = (float)(rng.NextDouble() * 2 - 1);

        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        f.Write(modelHead);
        f.Write(Frame(GraphField, graphLength));
        f.Write(graphHead);
        f.Write(Frame(InitializerField, tensorLength));
        f.Write(tensorHead);
        f.Write(Frame(RawDataField, rawBytes));
        for (long written = 0; written < rawBytes; written += chunk.Length)
            f.Write(chunk, 0, (int)Math.Min(chunk.Length, rawBytes - written));
    }

    /// <summary>Tag (field number, wire type 2 = length-delimited) followed by the varint length.</summary>
    private static byte[] Frame(int field, long length)
    {
        using var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteUInt64((ulong)length);
        o.Flush();
        return ms.ToArray();
    }
}
