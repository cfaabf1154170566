using Google.Protobuf;
using Qaas.Onnx.Proto;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Onnx.Graph;

/// <summary>The value of a Constant node (opset 1-21 forms: value, value_float(s), value_int(s), value_string(s)).</summary>
public static class ConstantNode
{
    public static bool Is(NodeProto node) =>
        node.OpType == "Constant" && (node.Domain.Length == 0 || node.Domain == "ai.onnx");

    /// <summary>
    /// The node's value as a TensorProto. For the `value` attribute this is the model's own tensor (edits show);
    /// for the scalar/list forms it is a new tensor named after the output. Null for sparse_value or a malformed node.
    /// </summary>
    public static TensorProto? ValueOf(NodeProto node)
    {
        if (!Is(node) || node.Attribute.Count != 1) return null;
        var a = node.Attribute[0];
        var name = node.Output.Count > 0 ? node.Output[0] : node.Name;
        TensorProto Make(DT type, params long[] dims)
        {
            var t = new TensorProto { Name = name, DataType = (int)type };
            t.Dims.AddRange(dims);
            return t;
        }
        switch (a.Name)
        {
            case "value": return a.T;
            case "value_float": { var t = Make(DT.Float); t.FloatData.Add(a.F); return t; }
            case "value_floats": { var t = Make(DT.Float, a.Floats.Count); t.FloatData.AddRange(a.Floats); return t; }
            case "value_int": { var t = Make(DT.Int64); t.Int64Data.Add(a.I); return t; }
            case "value_ints": { var t = Make(DT.Int64, a.Ints.Count); t.Int64Data.AddRange(a.Ints); return t; }
            case "value_string": { var t = Make(DT.String); t.StringData.Add(a.S); return t; }
            case "value_strings": { var t = Make(DT.String, a.Strings.Count); t.StringData.AddRange(a.Strings); return t; }
            default: return null;
        }
    }

    /// <summary>Element count of the value (sparse_value counts its stored values), without reading data.</summary>
    public static long ElementCount(NodeProto node)
    {
        if (!Is(node) || node.Attribute.Count != 1) return 0;
        var a = node.Attribute[0];
        if (a.Name == "sparse_value" && a.SparseTensor?.Values is { } v) return TensorLayout.ElementCount(v) ?? 0;
        var t = ValueOf(node);
        return t is null ? 0 : TensorLayout.ElementCount(t) ?? 0;
    }
}
