using Google.Protobuf;
using Qaas.Onnx.Proto;

namespace Qaas.Bench.Models;

/// <summary>
/// X[1, dim] -> MatMul(W0) -> ... -> MatMul(W{layers-1}) -> Y, every W a [dim, dim] fp32 initializer in model.onnx.data.
/// The data file is streamed from a small buffer, so building it never holds the weights in memory
/// (which would otherwise pollute the RSS measured afterwards).
/// </summary>
public static class ExternalWeightsModel
{
    public const string DataFileName = "model.onnx.data";

    /// <returns>Path of the written model.onnx.</returns>
    public static string Write(string folder, int layers, int dim)
    {
        Directory.CreateDirectory(folder);
        var tensorBytes = (long)dim * dim * sizeof(float);
        var chunk = new byte[1 << 20];
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(chunk.AsSpan());
        var rng = new Random(7);
        for (var i = 0; i < floats.Length; i++) floats[i] = (float)(rng.NextDouble() * 2 - 1) / dim;

        var graph = new GraphProto { Name = "matmul-chain" };
        graph.Input.Add(OnnxGraphs.FloatValue("X", 1, dim));
        graph.Output.Add(OnnxGraphs.FloatValue("Y", 1, dim));
        using (var data = new FileStream(Path.Combine(folder, DataFileName), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            for (var l = 0; l < layers; l++)
            {
                var offset = data.Position;
                for (long written = 0; written < tensorBytes; written += chunk.Length)
                    data.Write(chunk, 0, (int)Math.Min(chunk.Length, tensorBytes - written));
                var w = new TensorProto { Name = $"W{l}", DataType = (int)TensorProto.Types.DataType.Float, Dims = { dim, dim }, DataLocation = TensorProto.Types.DataLocation.External };
                w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = DataFileName });
                w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensorBytes.ToString() });
                graph.Initializer.Add(w);
                graph.Node.Add(new NodeProto
                {
                    OpType = "MatMul", Name = $"matmul{l}",
                    Input = { l == 0 ? "X" : $"h{l}", w.Name },
                    Output = { l == layers - 1 ? "Y" : $"h{l + 1}" },
                });
            }
        }
        var path = Path.Combine(folder, "model.onnx");
        using (var f = File.Create(path)) OnnxGraphs.Model(graph).WriteTo(f);
        return path;
    }
}
