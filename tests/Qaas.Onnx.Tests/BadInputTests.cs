using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Tests;

/// <summary>Broken or hostile models fail with one exception type and a message naming the problem.</summary>
public class BadInputTests
{
    private static OnnxFormatException Rejects(ModelProto m) =>
        Assert.Throws<OnnxFormatException>(() => OnnxModel.FromProto(m));

    private static OnnxFormatException Rejects(byte[] bytes) =>
        Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(new MemoryStream(bytes)));

    [Fact]
    public void Random_bytes_are_not_a_model()
    {
        var rng = new Random(1234);
        for (var i = 0; i < 50; i++)
        {
            var bytes = new byte[rng.Next(1, 4096)];
            rng.NextBytes(bytes);
            var e = Rejects(bytes);
            Assert.Contains("ONNX", e.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Empty_input_is_not_a_model()
    {
        Assert.Contains("no graph", Rejects([]).Message);
    }

    [Fact]
    public void Truncated_PpOcr_is_reported_as_truncated()
    {
        var bytes = File.ReadAllBytes(TestAssets.PpOcrDet);
        var e = Rejects(bytes[..(bytes.Length / 2)]);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("protobuf parse failed at byte", e.Message);
    }

    [Fact]
    public void Cycle_names_a_node_on_it()
    {
        var m = ModelBuilder.Mlp();
        // relu now feeds mm: mm -> add -> relu -> mm.
        m.Graph.Node[0].Input[0] = "y";
        m.Graph.Input.Clear();
        var e = Rejects(m);
        Assert.Contains("cycle through node", e.Message);
        Assert.Matches("'(mm|add|relu)'", e.Message);
    }

    [Fact]
    public void Dangling_input_is_named()
    {
        var m = ModelBuilder.Mlp();
        m.Graph.Node[1].Input[1] = "bias_nobody_makes";
        var e = Rejects(m);
        Assert.Equal("node 'add' (Add) input 'bias_nobody_makes' is produced by nothing", e.Message);
    }

    [Fact]
    public void Duplicate_output_names_are_refused()
    {
        var m = ModelBuilder.Mlp();
        m.Graph.Node[2].Output[0] = "z"; // relu writes add's output again
        Assert.Contains("duplicate tensor name 'z'", Rejects(m).Message);

        var m2 = ModelBuilder.Mlp();
        m2.Graph.Output.Add(m2.Graph.Output[0].Clone());
        Assert.Contains("duplicate graph output name 'y'", Rejects(m2).Message);

        var m3 = ModelBuilder.Mlp();
        m3.Graph.Node[1].Name = "mm";
        Assert.Contains("duplicate node name 'mm'", Rejects(m3).Message);

        var m4 = ModelBuilder.Mlp();
        m4.Graph.Initializer.Add(m4.Graph.Initializer[0].Clone());
        Assert.Contains("duplicate initializer name 'W'", Rejects(m4).Message);
    }

    [Fact]
    public void Absurd_dimension_and_bad_ir_version_are_refused()
    {
        var m = ModelBuilder.Mlp();
        m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 1_000_000_000_000;
        Assert.Equal("dimension 1000000000000 of input 'x' is absurd", Rejects(m).Message);

        var m2 = ModelBuilder.Mlp();
        m2.IrVersion = 99;
        Assert.StartsWith("IR version 99 unsupported", Rejects(m2).Message);

        var m3 = ModelBuilder.Mlp();
        m3.Graph.Initializer[0].RawData = ByteString.CopyFrom(new byte[7]);
        Assert.Contains("initializer 'W' has 7 bytes of raw_data", Rejects(m3).Message);

        var m4 = ModelBuilder.Mlp();
        m4.Graph.Initializer[0].Segment = new TensorProto.Types.Segment { Begin = 0, End = 4 };
        Assert.Equal("initializer 'W' is a segment (elements 0..4) of a chunked tensor; segmented tensors are not supported", Rejects(m4).Message);
    }

    [Fact]
    public void Hand_built_model_is_valid_and_round_trips()
    {
        var model = OnnxModel.FromProto(ModelBuilder.Mlp());
        var ms = new MemoryStream();
        model.Save(ms);
        Assert.True(model.Proto.Equals(OnnxModel.Load(new MemoryStream(ms.ToArray())).Proto));
        Assert.Equal(["mm", "add", "relu"], new GraphView(model.Graph).TopologicalOrder().Select(n => n.Name));
    }

    [Fact]
    public void Subgraph_reading_an_undefined_outer_name_is_refused()
    {
        var m = ModelBuilder.Mlp();
        var branch = new GraphProto { Name = "then" };
        branch.Node.Add(ModelBuilder.Node("Identity", "inner", ["nowhere"], ["t_out"]));
        branch.Output.Add(ModelBuilder.Tensor("t_out", 1, "batch", 3));
        var ifNode = ModelBuilder.Node("If", "if", ["cond"], ["if_out"]);
        ifNode.Attribute.Add(Rewrite.Attributes.Graph("then_branch", branch));
        ifNode.Attribute.Add(Rewrite.Attributes.Graph("else_branch", branch.Clone()));
        m.Graph.Input.Add(ModelBuilder.Tensor("cond", (int)TensorProto.Types.DataType.Bool));
        m.Graph.Node.Add(ifNode);
        Assert.Contains("input 'nowhere' is produced by nothing", Rejects(m).Message);
    }
}
