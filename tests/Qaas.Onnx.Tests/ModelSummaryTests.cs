using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Onnx.Summary;

namespace Qaas.Onnx.Tests;

public class ModelSummaryTests
{
    [Fact]
    public void Hand_built_model_is_described_exactly()
    {
        var m = ModelBuilder.Mlp();
        var constant = ModelBuilder.Node("Constant", "c", [], ["unused_c"]);
        constant.Attribute.Add(Attributes.Floats("value_floats", 1, 2, 3, 4));
        m.Graph.Node.Insert(0, constant);
        m.Graph.Input.Add(ModelBuilder.Tensor("b", 1, 3)); // old exporters list initializers as inputs too
        var s = ModelSummary.Of(OnnxModel.FromProto(m));

        Assert.Equal(8, s.IrVersion);
        Assert.Equal("qaas-tests", s.ProducerName);
        Assert.Equal(13, s.Opsets[""]);
        var x = Assert.Single(s.Inputs); // b is an initializer, not something to feed
        Assert.Equal("x", x.Name);
        Assert.Equal("float32", x.ElemType);
        Assert.Equal(new object?[] { "batch", 4L }, x.Shape);
        Assert.Equal("y", Assert.Single(s.Outputs).Name);
        Assert.Equal(12 + 3 + 4, s.ParameterCount); // W, b and the Constant's four floats
        Assert.Equal(new Dictionary<string, int> { ["Add"] = 1, ["Constant"] = 1, ["MatMul"] = 1, ["Relu"] = 1 }, s.OpCounts);
    }

    [Fact]
    public void Non_tensor_types_get_readable_names()
    {
        var seq = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 7 } } } };
        Assert.Equal("sequence(int64)", ModelSummary.TypeName(seq));
        var map = new TypeProto { MapType = new TypeProto.Types.Map { KeyType = 8, ValueType = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } } };
        Assert.Equal("map(string,float32)", ModelSummary.TypeName(map));
        Assert.Equal("unknown", ModelSummary.TypeName(null));
    }
}
