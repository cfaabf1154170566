using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Quantization.Tests.Static;
using Qaas.Quantization.Transforms.Graph;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Transforms;

public class HardSwishFusionTests
{
    private static IReadOnlyDictionary<string, Tensor> Input(int seed) =>
        new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TestData.Uniform(HardSwishModel.InChannels * 9 * 11, -2, 2, seed), 1, HardSwishModel.InChannels, 9, 11) };

    private static (float[] Expected, float[] Actual) Outputs(ModelProto expected, ModelProto actual, int seed = 3)
    {
        using var before = new SessionRunner(expected);
        using var after = new SessionRunner(actual);
        return (before.Run(Input(seed)), after.Run(Input(seed)));
    }

    private static IEnumerable<string> Ops(ModelProto m) => m.Graph.Node.Select(n => n.OpType);

    [Fact]
    public void Spelled_out_hard_swishes_become_HardSwish_nodes_and_the_leftover_times_6_folds_into_the_next_Conv()
    {
        var original = HardSwishModel.Build();
        var fused = original.Clone();
        var editor = new GraphEditor(fused);

        var sixes = HardSwishFusion.Apply(editor, out int count);
        int absorbed = ScalarMulSinking.Apply(editor, sixes);

        Assert.Equal(2, count);
        Assert.Single(sixes); // the first one had no "/ 6"
        Assert.Equal(1, absorbed);
        // HardSwish -> Add(0.3 / 6) -> Conv(W * 6) -> HardSwish -> Mul(0.5): no Clip, Div or Mul by 6 left.
        Assert.Equal(["Conv", "HardSwish", "Add", "Conv", "HardSwish", "Mul"], Ops(fused));
        Assert.Equal(14, Opsets.Of(fused)[""]);
        var (expected, actual) = Outputs(original, fused);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void A_times_6_before_a_QuantizeLinear_becomes_part_of_its_scale()
    {
        // first -> hard-swish without "/ 6" -> Add(0.3) -> Q -> DQ -> y: the Mul by 6 moves past the Add into Q's scale.
        var original = HardSwishModel.Build();
        var graph = original.Graph;
        foreach (var n in graph.Node.SkipWhile(n => n.Name != "second").ToList())
            graph.Node.Remove(n);
        graph.Initializer.Add(TensorData.Create<float>("s", [0.1f], []));
        graph.Initializer.Add(TensorData.Create<byte>("zp", [20], []));
        graph.Node.Add(ModelBuilder.Node("QuantizeLinear", "q", ["ash", "s", "zp"], ["ashq"]));
        graph.Node.Add(ModelBuilder.Node("DequantizeLinear", "dq", ["ashq", "s", "zp"], ["y"]));
        var fused = original.Clone();
        var editor = new GraphEditor(fused);

        ScalarMulSinking.Apply(editor, HardSwishFusion.Apply(editor, out _));

        Assert.Equal(["Conv", "HardSwish", "Add", "QuantizeLinear", "DequantizeLinear"], Ops(fused));
        var q = fused.Graph.Node.Single(n => n.OpType == "QuantizeLinear");
        var dq = fused.Graph.Node.Single(n => n.OpType == "DequantizeLinear");
        Assert.Equal(0.1f / 6, TensorData.Read<float>(fused.Graph.Initializer.Single(t => t.Name == q.Input[1]))[0], 6);
        Assert.Equal(0.1f, TensorData.Read<float>(fused.Graph.Initializer.Single(t => t.Name == dq.Input[1]))[0]);
        // The same integers, but for a rare value that float rounding moves across a rounding tie.
        var (expected, actual) = Outputs(original, fused);
        int differing = expected.Zip(actual).Count(p => p.First != p.Second);
        Assert.True(differing <= expected.Length / 100, $"{differing} of {expected.Length} differ");
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 0.1f + 1e-6f));
    }

    [Fact]
    public void Static_int8_leaves_quantized_hard_swishes_alone_and_fuses_the_ones_kept_in_fp32()
    {
        var original = HardSwishModel.Build();
        var model = OnnxModel.FromProto(original);
        var recipe = RecipeResolver.Resolve(new Recipe { Preset = "int8-static" });
        var feed = TestData.Feed(4, i => Input(seed: 30 + i)["x"]);

        var all = StaticQdqQuantizer.Quantize(model, recipe, feed).Model;
        var keepingFirst = StaticQdqQuantizer.Quantize(model, recipe, feed, options: new StaticQdqOptions(KeepFloat: new HashSet<string> { "first" })).Model;

        // Integer kernels need the spelled-out form (QLinearAdd/QLinearMul; ORT drops the Clip into the Q's range).
        Assert.DoesNotContain("HardSwish", Ops(all));
        Assert.Equal(2, Ops(all).Count(op => op == "Clip"));
        // "first" in fp32 keeps its hard-swish (up to the next Conv) in fp32 too: that one becomes a HardSwish.
        Assert.Single(keepingFirst.Graph.Node, n => n.OpType == "HardSwish");
        Assert.Single(keepingFirst.Graph.Node, n => n.OpType == "Clip");
        var (expected, actual) = Outputs(original, keepingFirst, seed: 99);
        var error = new ErrorAccumulator();
        error.Add(expected, actual);
        Assert.True(error.CosineSimilarity >= 0.99, $"cosine {error.CosineSimilarity}");
    }
}
