using Qaas.Quantization.Transforms.Graph;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Static;

public class ConvBatchNormFolderTests
{
    [Fact]
    public void Folding_removes_the_BatchNorm_and_keeps_outputs_within_1e4()
    {
        var original = ConvBnReluModel.Build();
        var folded = original.Clone();

        Assert.Equal(1, ConvBatchNormFolder.Apply(folded));

        Assert.DoesNotContain(folded.Graph.Node, n => n.OpType == "BatchNormalization");
        var conv = Assert.Single(folded.Graph.Node, n => n.OpType == "Conv" && n.Input[0] == "x");
        Assert.Equal(3, conv.Input.Count);
        Assert.Equal("bn", conv.Output[0]);
        var input = new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TestData.Uniform(3 * 12 * 12, -2, 2, seed: 5), 1, 3, 12, 12) };
        using var before = new SessionRunner(original);
        using var after = new SessionRunner(folded);
        var expected = before.Run(input);
        var actual = after.Run(input);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f, $"element {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void A_Conv_output_read_by_another_node_is_not_folded()
    {
        var model = ConvBnReluModel.Build();
        var extra = new Qaas.Onnx.Proto.NodeProto { OpType = "Relu", Name = "extra" };
        extra.Input.Add("conv1");
        extra.Output.Add("extra_out");
        model.Graph.Node.Add(extra);
        model.Graph.Output.Add(new Qaas.Onnx.Proto.ValueInfoProto { Name = "extra_out", Type = model.Graph.Output[0].Type });

        Assert.Equal(0, ConvBatchNormFolder.Apply(model));
        Assert.Contains(model.Graph.Node, n => n.OpType == "BatchNormalization");
    }
}
