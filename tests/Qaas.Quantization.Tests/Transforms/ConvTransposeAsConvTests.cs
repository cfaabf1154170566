using Google.Protobuf;
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

public class ConvTransposeAsConvTests
{
    private static IReadOnlyDictionary<string, Tensor> Input(int seed, int h = 7, int w = 9) =>
        new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TestData.Uniform(UpsamplingHeadModel.InChannels * h * w, -1, 1, seed), 1, UpsamplingHeadModel.InChannels, h, w) };

    /// <summary>The rewrite and the sinking, and the folders when asked, as the static quantizer runs them.</summary>
    private static ModelProto Rewritten(ModelProto original, bool fold)
    {
        var model = original.Clone();
        var editor = new GraphEditor(model);
        var written = ConvTransposeAsConv.Apply(editor, model.Graph.Node.ToList());
        DepthToSpaceSinking.Apply(editor, written);
        if (fold)
            while (ConvBatchNormFolder.Apply(model) + ConvAffineFolder.Apply(model) > 0)
            {
            }
        return model;
    }

    private static void AssertSameOutput(ModelProto expected, ModelProto actual, int h = 7, int w = 9)
    {
        using var before = new SessionRunner(expected);
        using var after = new SessionRunner(actual);
        var x = Input(seed: 3, h, w);
        var e = before.Run(x);
        var a = after.Run(x);
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5f, $"element {i}: {e[i]} vs {a[i]}");
    }

    private static IEnumerable<string> Ops(ModelProto m) => m.Graph.Node.Select(n => n.OpType);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_two_stride_2_ConvTransposes_become_1x1_Convs_and_one_DepthToSpace_with_the_same_output(bool fold)
    {
        var original = UpsamplingHeadModel.Build();
        var rewritten = Rewritten(original, fold);

        AssertSameOutput(original, rewritten);
        Assert.DoesNotContain("ConvTranspose", Ops(rewritten));
        // Both 2x upsamplings shuffle once, as a 4x DepthToSpace writing the graph output.
        var depthToSpace = Assert.Single(rewritten.Graph.Node, n => n.OpType == "DepthToSpace");
        Assert.Equal(4, Attributes.Find(depthToSpace, "blocksize")!.I);
        Assert.Equal("y", depthToSpace.Output[0]);
        // The Add, BatchNorm and activations moved above the shuffle, next to the Conv that makes the patches.
        var beforeShuffle = rewritten.Graph.Node.TakeWhile(n => n != depthToSpace).Select(n => n.OpType).ToList();
        Assert.Contains("Sigmoid", beforeShuffle);
        Assert.Equal(3, beforeShuffle.Count(op => op == "Conv"));
        if (fold)
            Assert.Equal(["Conv", "Relu", "Conv", "Relu", "Conv", "Sigmoid", "DepthToSpace"], Ops(rewritten));
        else
            Assert.Contains("BatchNormalization", beforeShuffle);
        // The upsampling Conv keeps the ConvTranspose's name for reports and include/exclude lists.
        Assert.Contains(rewritten.Graph.Node, n => n.OpType == "Conv" && n.Name == "ConvTranspose_up1");
    }

    [Fact]
    public void A_3x3_stride_3_ConvTranspose_and_a_2x2_one_merge_into_a_6x_DepthToSpace()
    {
        var original = UpsamplingHeadModel.Build(kernel: 3, stride: 3);
        var rewritten = Rewritten(original, fold: true);

        AssertSameOutput(original, rewritten, h: 5, w: 4);
        Assert.Equal(6, Attributes.Find(rewritten.Graph.Node.Single(n => n.OpType == "DepthToSpace"), "blocksize")!.I);
    }

    [Theory]
    [InlineData(3, 2, 0)] // overlapping patches
    [InlineData(2, 2, 1)] // padding crops the patches
    public void A_ConvTranspose_whose_patches_overlap_or_are_cropped_stays(int kernel, int stride, int pad)
    {
        var original = UpsamplingHeadModel.Build(kernel, stride, pad);
        var rewritten = Rewritten(original, fold: true);

        AssertSameOutput(original, rewritten);
        Assert.Equal("ConvTranspose_up1", Assert.Single(rewritten.Graph.Node, n => n.OpType == "ConvTranspose").Name);
        // The second one still becomes a Conv: with nothing to merge with, its DepthToSpace stays 2x.
        Assert.Equal(2, Attributes.Find(rewritten.Graph.Node.Single(n => n.OpType == "DepthToSpace"), "blocksize")!.I);
    }

    /// <summary>x[1, inChannels, 3, 3] through the given nodes to y; opset 13.</summary>
    private static ModelProto Graph(int inChannels, IEnumerable<NodeProto> nodes, params TensorProto[] initializers)
    {
        var graph = new GraphProto { Name = "probe" };
        graph.Input.Add(ModelBuilder.Tensor("x", (int)TensorProto.Types.DataType.Float, 1, inChannels, 3, 3));
        graph.Output.Add(ModelBuilder.Tensor("y", (int)TensorProto.Types.DataType.Float, "n", "c", "h", "w"));
        graph.Initializer.AddRange(initializers);
        graph.Node.AddRange(nodes);
        var model = new ModelProto { IrVersion = 7, Graph = graph, ProducerName = "qaas-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    private static IReadOnlyDictionary<string, Tensor> Small(int channels) =>
        new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TestData.Uniform(channels * 9, -1, 1, seed: 4), 1, channels, 3, 3) };

    private static void AssertSame(ModelProto expected, ModelProto actual, int channels)
    {
        using var before = new SessionRunner(expected);
        using var after = new SessionRunner(actual);
        Assert.Equal(before.Run(Small(channels)), after.Run(Small(channels)), (a, b) => Math.Abs(a - b) <= 1e-5f);
    }

    [Fact]
    public void A_constant_that_broadcasts_one_channel_up_to_three_stays_below_the_DepthToSpace()
    {
        // ConvTranspose to 1 channel, then Add of a [1,3,1,1] constant: the sum has 3 channels, so the Add is not per-channel.
        var original = Graph(8,
            [TransformModels.Node("ConvTranspose", ["x", "t"], ["up"], Attributes.Ints("kernel_shape", 2, 2), Attributes.Ints("strides", 2, 2)),
             TransformModels.Node("Add", ["up", "c"], ["y"])],
            TensorData.Create<float>("t", TestData.Uniform(8 * 4, -1, 1, seed: 1), [8, 1, 2, 2]),
            TensorData.Create<float>("c", [0.1f, -0.2f, 0.3f], [1, 3, 1, 1]));
        var rewritten = Rewritten(original, fold: true);

        AssertSame(original, rewritten, 8);
        Assert.Equal(["Conv", "DepthToSpace", "Add"], Ops(rewritten));
    }

    [Fact]
    public void Stacked_DepthToSpaces_merge_only_over_patches_a_lone_ungrouped_Conv_makes()
    {
        var w = TensorData.Create<float>("w", TestData.Uniform(16 * 8, -1, 1, seed: 2), [16, 8, 1, 1]);
        var grouped = TensorData.Create<float>("g", TestData.Uniform(16 * 4, -1, 1, seed: 3), [16, 4, 1, 1]);
        NodeProto Shuffle(string input, string output) =>
            TransformModels.Node("DepthToSpace", [input], [output], Attributes.Int("blocksize", 2), Attributes.String("mode", "CRD"));
        var noConv = Graph(16, [Shuffle("x", "s"), Shuffle("s", "y")]);
        var groupedConv = Graph(8, [TransformModels.Node("Conv", ["x", "g"], ["p"], Attributes.Int("group", 2)), Shuffle("p", "s"), Shuffle("s", "y")], grouped);
        // The Conv's output is also read by a second branch added to y: reordering its channels would change that branch.
        var shared = Graph(8,
            [TransformModels.Node("Conv", ["x", "w"], ["p"]), Shuffle("p", "s"), Shuffle("s", "u"),
             TransformModels.Node("ReduceMean", ["p"], ["m"], Attributes.Ints("axes", 1, 2, 3)), TransformModels.Node("Add", ["u", "m"], ["y"])], w);

        foreach (var (original, channels) in new[] { (noConv, 16), (groupedConv, 8), (shared, 8) })
        {
            var model = original.Clone();
            var editor = new GraphEditor(model);
            Assert.Equal(0, DepthToSpaceSinking.Apply(editor, model.Graph.Node.ToList()));
            AssertSame(original, model, channels);
        }
    }

    [Fact]
    public void Excluding_Convs_leaves_the_upsampling_Convs_float_too()
    {
        var original = UpsamplingHeadModel.Build();
        var recipe = RecipeResolver.Resolve(new Recipe
        {
            Preset = "int8-static",
            Nodes = new NodeSelection { Exclude = new NodeFilter { OpTypes = ["Conv"] } },
        });
        var result = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(original), recipe, TestData.Feed(2, i => Input(seed: 20 + i)["x"]));

        // The ConvTranspose's stand-in is a Conv: the exclusion holds for it as for any other Conv.
        Assert.DoesNotContain("ConvTranspose_up1", result.Nodes.Select(n => n.Name));
        Assert.DoesNotContain(result.Model.Graph.Node, n => n.OpType == "DequantizeLinear" && result.Model.Graph.Initializer.Any(t => t.Name == n.Input[0] && t.Dims.Count == 4));
    }

    [Fact]
    public void Static_int8_runs_the_upsampling_head_on_integer_kernels_close_to_fp32()
    {
        var original = UpsamplingHeadModel.Build();
        var feed = TestData.Feed(4, i => Input(seed: 20 + i)["x"]);
        var result = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(original), RecipeResolver.Resolve(new Recipe { Preset = "int8-static" }), feed);

        Assert.Contains("ConvTranspose_up1", result.Nodes.Select(n => n.Name));
        var (quantized, kernels) = ProfiledRun.Of(result.Model, Input(seed: 99));
        var ops = kernels.Values.ToList();
        // ORT fuses all three Convs into integer kernels and moves the uint8 patches without dequantizing them.
        Assert.Equal(3, ops.Count(op => op == "QLinearConv"));
        Assert.Contains("DepthToSpace", ops);
        Assert.DoesNotContain("ConvTranspose", ops);
        Assert.DoesNotContain("Conv", ops);
        using var fp32 = new SessionRunner(original);
        var expected = fp32.Run(Input(seed: 99));
        var error = new ErrorAccumulator();
        error.Add(expected, quantized);
        Assert.True(error.CosineSimilarity >= 0.999, $"cosine {error.CosineSimilarity}");
    }
}
