using Google.Protobuf;
using Qaas.Onnx.Proto;
using AT = Qaas.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace Qaas.Onnx.Rewrite;

/// <summary>Builds AttributeProtos with the right `type` set.</summary>
public static class Attributes
{
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AT.Int, I = value };
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AT.Float, F = value };
    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AT.String, S = ByteString.CopyFromUtf8(value) };
    public static AttributeProto Tensor(string name, TensorProto value) => new() { Name = name, Type = AT.Tensor, T = value };
    public static AttributeProto Graph(string name, GraphProto value) => new() { Name = name, Type = AT.Graph, G = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AT.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Floats(string name, params float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AT.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    public static AttributeProto? Find(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);
}
