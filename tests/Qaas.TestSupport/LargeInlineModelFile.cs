using Google.Protobuf;
using Qaas.Onnx.Proto;

namespace Qaas.TestSupport;

/// <summary>
/// Writes a single-file .onnx, Y = Mul(X, W), whose initializer W (float, dims [floatCount]) keeps its values inline as
/// raw_data. The payload is streamed in 1 MiB chunks between hand-written protobuf frames (tag + length), so a
/// file of hundreds of MiB is produced without holding it. <c>rawBytes</c> may differ from 4 * floatCount to make a
/// tensor whose raw_data does not match its shape.
/// </summary>
public static class LargeInlineModelFile
{
    private const int ModelGraphField = 7;        // ModelProto.graph
    private const int GraphInitializerField = 5;  // GraphProto.initializer
    private const int TensorRawDataField = 9;     // TensorProto.raw_data

    public static void Write(string path, long floatCount, long? rawBytes = null)
    {
        const int F = (int)TensorProto.Types.DataType.Float;
        var payload = rawBytes ?? floatCount * sizeof(float);
        var graph = new GraphProto { Name = "large-inline" };
        graph.Input.Add(ModelBuilder.Tensor("X", F, 1));
        graph.Output.Add(ModelBuilder.Tensor("Y", F, floatCount));
        graph.Node.Add(ModelBuilder.Node("Mul", "mul", ["X", "W"], ["Y"]));
        var model = new ModelProto { IrVersion = 8, ProducerName = "qaas-tests", ProducerVersion = "1" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        var tensorHead = new TensorProto { Name = "W", DataType = F, Dims = { floatCount } }.ToByteArray();

        // Each message is its head fields followed by one framed child; lengths are known before any payload byte.
        var rawFrame = Frame(TensorRawDataField, payload);
        var tensorLength = tensorHead.Length + rawFrame.Length + payload;
        var graphHead = graph.ToByteArray();
        var tensorFrame = Frame(GraphInitializerField, tensorLength);
        var graphLength = graphHead.Length + tensorFrame.Length + tensorLength;

        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        f.Write(model.ToByteArray());
        f.Write(Frame(ModelGraphField, graphLength));
        f.Write(graphHead);
        f.Write(tensorFrame);
        f.Write(tensorHead);
        f.Write(rawFrame);
        var chunk = new byte[1 << 20];
        new Random(7).NextBytes(chunk);
        for (long written = 0; written < payload; written += chunk.Length)
            f.Write(chunk, 0, (int)Math.Min(chunk.Length, payload - written));
    }

    /// <summary>Tag of a length-delimited field followed by the varint length.</summary>
    private static byte[] Frame(int field, long length)
    {
        var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteUInt64((ulong)length);
        o.Flush();
        return ms.ToArray();
    }
}
