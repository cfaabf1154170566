using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Runtime.Sessions;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Tests.WeightOnly;

/// <summary>The shared test transformer: what the quantizer tests assume about it.</summary>
public class TransformerModelBuilderTests
{
    [Fact]
    public void Small_model_has_the_declared_parameters_and_runs_with_symbolic_batch_and_sequence()
    {
        var o = TransformerOptions.Small;
        var model = TransformerModelBuilder.Build(o);
        OnnxModel.FromProto(model).Validate();
        long parameters = model.Graph.Initializer.Where(t => t.DataType == (int)DT.Float && t.Dims.Count > 0)
            .Sum(t => TensorLayout.ElementCount(t) ?? 0);
        Assert.Equal(o.ParameterCount, parameters);
        Assert.Equal(6 * o.Blocks + 1 + 2 * o.Blocks, model.Graph.Node.Count(n => n.OpType == "MatMul"));
        Assert.Equal(2 * o.Blocks + 1, model.Graph.Node.Count(n => n.OpType == "LayerNormalization"));

        using var session = InferenceSession.Create(model.ToByteArray());
        Assert.Equal(["batch", "seq"], session.Inputs[0].SymbolicDimensions);
        var output = session.Run(TransformerRun.Tokens(o, 2, 5))["logits"];
        Assert.Equal([2L, 5, o.Vocab], output.Shape);
        Assert.All(output.ToArray<float>(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Same_seed_same_weights_other_seed_other_weights()
    {
        var o = TransformerOptions.Small with { Blocks = 1 };
        var a = TransformerModelBuilder.Build(o).Graph.Initializer.Single(t => t.Name == "block0.mlp.up.weight");
        var b = TransformerModelBuilder.Build(o).Graph.Initializer.Single(t => t.Name == "block0.mlp.up.weight");
        var c = TransformerModelBuilder.Build(o with { Seed = 99 }).Graph.Initializer.Single(t => t.Name == "block0.mlp.up.weight");
        Assert.Equal(a.RawData, b.RawData);
        Assert.NotEqual(a.RawData, c.RawData);
        var w = TensorData.Read<float>(a);
        double sd = Math.Sqrt(w.Select(v => (double)v * v).Average());
        Assert.InRange(sd, 0.019, 0.021);
    }
}
