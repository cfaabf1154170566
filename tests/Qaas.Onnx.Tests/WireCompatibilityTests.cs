using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Qaas.Onnx.Io;

namespace Qaas.Onnx.Tests;

/// <summary>
/// Round-trips alone would pass with wrong field numbers (protobuf keeps unknown fields), so check that every field
/// of every conformance model lands in a declared field of our onnx.proto.
/// </summary>
public class WireCompatibilityTests
{
    private static readonly FieldInfo? UnknownFieldsField =
        typeof(Proto.ModelProto).GetField("_unknownFields", BindingFlags.NonPublic | BindingFlags.Instance);

    private static IEnumerable<string> UnknownFieldPaths(IMessage message, string path)
    {
        var field = message.GetType().GetField("_unknownFields", BindingFlags.NonPublic | BindingFlags.Instance);
        if (field?.GetValue(message) is UnknownFieldSet set && set.CalculateSize() > 0)
            yield return path;
        foreach (var f in message.Descriptor.Fields.InDeclarationOrder())
        {
            if (f.FieldType != FieldType.Message) continue;
            var value = f.Accessor.GetValue(message);
            if (f.IsRepeated)
            {
                var i = 0;
                foreach (IMessage child in (System.Collections.IEnumerable)value)
                    foreach (var p in UnknownFieldPaths(child, $"{path}.{f.Name}[{i++}]")) yield return p;
            }
            else if (value is IMessage child)
            {
                foreach (var p in UnknownFieldPaths(child, $"{path}.{f.Name}")) yield return p;
            }
        }
    }

    [Fact]
    public void No_conformance_or_real_model_has_fields_our_schema_does_not_declare()
    {
        Assert.NotNull(UnknownFieldsField);
        // The detector itself sees a field our schema lacks (field 99 inside the graph).
        var probe = ModelBuilder.Mlp();
        var graphBytes = probe.Graph.ToByteArray().Concat(new byte[] { 0x98, 0x06, 0x01 }).ToArray(); // tag 99 varint, value 1
        var withUnknown = Proto.GraphProto.Parser.ParseFrom(graphBytes);
        Assert.Equal([".graph"], UnknownFieldPaths(new Proto.ModelProto { Graph = withUnknown }, ""));

        var files = Directory.EnumerateFiles(TestAssets.OnnxTestData, "model.onnx", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(TestAssets.RepoRoot, ".cache", "models"), "*.onnx", SearchOption.AllDirectories));
        var unknown = new List<string>();
        var count = 0;
        foreach (var path in files)
        {
            using var s = File.OpenRead(path);
            unknown.AddRange(UnknownFieldPaths(OnnxModel.Parse(s), path).Take(3));
            count++;
        }
        Assert.True(unknown.Count == 0, string.Join("\n", unknown.Take(20)));
        Assert.True(count > 900);
    }

    [Fact]
    public void Known_model_fields_decode_to_the_right_places()
    {
        using var s = File.OpenRead(Path.Combine(TestAssets.OnnxTestData, "node", "test_abs", "model.onnx"));
        var m = OnnxModel.Parse(s);
        Assert.Equal("backend-test", m.ProducerName);
        Assert.InRange(m.IrVersion, 3, 9);
        Assert.Equal("Abs", Assert.Single(m.Graph.Node).OpType);
        Assert.Equal("x", Assert.Single(m.Graph.Input).Name);
        Assert.Equal(new long[] { 3, 4, 5 }, m.Graph.Input[0].Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        Assert.Equal(1, m.Graph.Input[0].Type.TensorType.ElemType);
    }
}
