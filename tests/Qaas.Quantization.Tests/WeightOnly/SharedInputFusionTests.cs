using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.WeightOnly;

public class SharedInputFusionTests
{
    private static readonly MatMulNBitsOptions Unfused = MatMulNBitsOptions.Default with { FuseSharedInput = false };

    private static ModelProto Quantize(ModelProto fp32, MatMulNBitsOptions options, WeightSpec? weights = null) =>
        MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32),
            RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Weights = weights }), options).Model;

    [Fact]
    public void Q_K_V_become_one_node_and_a_split_with_the_same_outputs()
    {
        var o = TransformerOptions.Small;
        var fp32 = TransformerModelBuilder.Build(o);
        var separate = Quantize(fp32, Unfused);
        var fused = Quantize(fp32, MatMulNBitsOptions.Default);

        Assert.Equal(6 * o.Blocks + 1, OpCounts(separate)["MatMulNBits"]);
        Assert.Equal(4 * o.Blocks + 1, OpCounts(fused)["MatMulNBits"]);
        Assert.Equal(o.Blocks, OpCounts(fused)["Split"]);
        var qkv = fused.Graph.Node.Where(n => n.OpType == "MatMulNBits" && Attributes.Find(n, "N")!.I == 3 * o.Dim).ToList();
        Assert.Equal(o.Blocks, qkv.Count);
        // The same packed columns, only concatenated: outputs agree to float rounding.
        var inputs = Tokens(o, 2, 16);
        var errors = new ErrorAccumulator();
        errors.Add(Run(separate, inputs), Run(fused, inputs));
        Assert.True(errors.MaxAbsoluteError < 1e-4, $"max |difference| {errors.MaxAbsoluteError}");
        Assert.True(Cosine(fp32, fused, inputs) >= 0.99);
    }

    [Fact]
    public void Asymmetric_weights_fuse_their_zero_points_too()
    {
        var o = TransformerOptions.Small with { Blocks = 1 };
        var fp32 = TransformerModelBuilder.Build(o);
        var weights = new WeightSpec { Type = "uint4", GroupSize = 32, Symmetric = false };
        var separate = Quantize(fp32, Unfused, weights);
        var fused = Quantize(fp32, MatMulNBitsOptions.Default, weights);
        var node = fused.Graph.Node.Single(n => n.OpType == "MatMulNBits" && Attributes.Find(n, "N")!.I == 3 * o.Dim);
        Assert.Equal(6, node.Input.Count); // A, B, scales, zero points, no g_idx, bias
        Assert.Equal("", node.Input[4]);
        var inputs = Tokens(o, 1, 8);
        var errors = new ErrorAccumulator();
        errors.Add(Run(separate, inputs), Run(fused, inputs));
        Assert.True(errors.MaxAbsoluteError < 1e-4, $"max |difference| {errors.MaxAbsoluteError}");
    }

    [Fact]
    public void Nodes_that_differ_in_format_or_input_stay_apart()
    {
        var o = TransformerOptions.Small with { Blocks = 1 };
        var model = Quantize(TransformerModelBuilder.Build(o), Unfused);
        var editor = new GraphEditor(model);
        // Give K a different accuracy level: only Q and V remain a group.
        var k = model.Graph.Node.Single(n => n.Name.StartsWith("block0.attn.k", StringComparison.Ordinal));
        Attributes.Find(k, "accuracy_level")!.I = 0;
        Assert.Equal(1, SharedInputFusion.Fuse(editor));
        Assert.Equal(6, OpCounts(model)["MatMulNBits"]);
        var split = model.Graph.Node.Single(n => n.OpType == "Split");
        Assert.Equal(2, split.Output.Count);
        // Run the edited graph: the Split feeds the same tensors as before.
        editor.SortTopologically();
        editor.RemoveUnusedInitializers();
        Assert.Equal(o.Vocab, Run(model, Tokens(o, 1, 4)).Length / 4);
    }

    [Fact]
    public void Float16_scales_are_left_alone()
    {
        // Two MatMulNBits on one float16 input (K = 32, N = 4, block 32): this pass concatenates float32 scales only.
        var model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        var editor = new GraphEditor(model);
        for (int i = 0; i < 2; i++)
        {
            var b = editor.AddInitializer(TensorData.Create<byte>($"b{i}", new byte[4 * 16], [4, 1, 16]));
            var scales = editor.AddInitializer(TensorData.Create<Half>($"s{i}", Enumerable.Repeat((Half)1, 4).ToArray(), [4]));
            editor.AddNode("MatMulNBits", ["a", b, scales], [$"y{i}"], $"m{i}", MatMulNBitsQuantizer.Domain,
                Attributes.Int("K", 32), Attributes.Int("N", 4), Attributes.Int("bits", 4), Attributes.Int("block_size", 32),
                Attributes.Int("accuracy_level", 4));
        }
        Assert.Equal(0, SharedInputFusion.Fuse(editor));
        Assert.Equal(2, model.Graph.Node.Count);
    }

    [Fact]
    public void The_vocabulary_head_gets_finer_blocks_than_the_rest()
    {
        var o = TransformerOptions.Small with { Blocks = 1 };
        var fp32 = TransformerModelBuilder.Build(o);
        int BlockOf(ModelProto m, string prefix) =>
            (int)Attributes.Find(m.Graph.Node.Single(n => n.Name.StartsWith(prefix, StringComparison.Ordinal)), "block_size")!.I;

        var preset = Quantize(fp32, MatMulNBitsOptions.Default);
        Assert.Equal(32, BlockOf(preset, "logits"));
        Assert.Equal(256, BlockOf(preset, "block0.mlp.up"));
        var uniform = Quantize(fp32, MatMulNBitsOptions.Default with { HeadBlockSize = null });
        Assert.Equal(256, BlockOf(uniform, "logits"));
        // Never coarser than asked.
        var fine = Quantize(fp32, MatMulNBitsOptions.Default, new WeightSpec { GroupSize = 16 });
        Assert.Equal(16, BlockOf(fine, "logits"));
    }
}
