using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.WeightOnly;

public class MatMulNBitsQuantizerTests
{
    private static Recipe W4(WeightSpec? weights = null) =>
        RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Weights = weights });

    [Fact]
    public void A_weight_that_blocks_would_make_larger_stays_fp32_and_the_model_says_so()
    {
        // x[1,300] @ W[300,1] @ V[1,300]: W packs into 10 blocks (205 bytes against 1,200); V's single row pads every
        // column to a whole block (6,300 bytes against 1,200), so it stays fp32.
        const int F = (int)Onnx.Proto.TensorProto.Types.DataType.Float;
        var g = new Onnx.Proto.GraphProto { Name = "thin" };
        g.Input.Add(ModelBuilder.Tensor("x", F, 1, 300));
        g.Output.Add(ModelBuilder.Tensor("y", F, 1, 300));
        g.Initializer.Add(Onnx.Graph.TensorData.Create<float>("W", TestData.Gaussian(300, 0.1f, seed: 1), [300, 1]));
        g.Initializer.Add(Onnx.Graph.TensorData.Create<float>("V", TestData.Gaussian(300, 0.1f, seed: 2), [1, 300]));
        g.Node.Add(ModelBuilder.Node("MatMul", "down", ["x", "W"], ["h"]));
        g.Node.Add(ModelBuilder.Node("MatMul", "up", ["h", "V"], ["y"]));
        var result = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(ModelBuilder.Model(g)), W4(), default);

        Assert.Equal(["MatMul", "MatMulNBits"], result.Model.Graph.Node.Select(n => n.OpType).Order().ToArray());
        Assert.Equal("down", Assert.Single(result.Nodes).Name);
        Assert.Contains(result.Warnings, w => w.StartsWith("1 MatMul weight(s) stay fp32"));
        Assert.True(result.Model.CalculateSize() < ModelBuilder.Model(g).CalculateSize());
    }

    [Fact]
    public void Small_transformer_becomes_MatMulNBits_and_stays_close()
    {
        var o = TransformerOptions.Small;
        var fp32 = TransformerModelBuilder.Build(o);
        var result = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32), W4(), default);

        var ops = OpCounts(result.Model);
        // 6 weight MatMuls per block + lm_head, Q, K and V fused into one; the two attention MatMuls (no constant weight) stay.
        Assert.Equal(4 * o.Blocks + 1, ops["MatMulNBits"]);
        Assert.Equal(2 * o.Blocks, ops["MatMul"]);
        Assert.Equal(6 * o.Blocks + 1, result.Nodes.Count);
        Assert.All(result.Nodes, n => Assert.Equal(4, n.Bits));
        Assert.False(result.Simulated);
        Assert.Contains(result.Model.OpsetImport, i => i.Domain == "com.microsoft");
        // The float weights are gone.
        Assert.DoesNotContain(result.Model.Graph.Initializer, t => t.Name == "block0.attn.q.weight");

        double cosine = Cosine(fp32, result.Model, Tokens(o, 2, 16));
        Assert.True(cosine >= 0.99, $"cosine {cosine}");
    }

    [Fact]
    public void Weight_bytes_shrink_to_a_sixth()
    {
        var o = TransformerOptions.Small;
        var fp32 = TransformerModelBuilder.Build(o);
        var result = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32), W4(new WeightSpec { GroupSize = 32 }), default);
        long floatBytes = fp32.Graph.Initializer.Where(t => t.Dims.Count == 2 && t.Name != "embedding").Sum(t => t.RawData.Length);
        long quantBytes = result.Model.Graph.Initializer.Where(t => t.Name.Contains("_Q4") || t.Name.EndsWith("_scales") || t.Name.EndsWith("_zero_points"))
            .Sum(t => t.RawData.Length);
        // Per 32 weights: 16 bytes of nibbles + a float scale + half a byte of zero point = 20.5 / 128 = 0.160.
        Assert.InRange((double)quantBytes / floatBytes, 0.15, 0.161);
    }

    [Theory]
    [InlineData("int8", 128, true)]
    [InlineData("uint4", 64, false)]
    [InlineData("int2", 16, false)]
    public void Other_bit_widths_run_in_ort(string type, int block, bool symmetric)
    {
        var o = TransformerOptions.Small with { Blocks = 1 };
        var fp32 = TransformerModelBuilder.Build(o);
        var result = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32),
            W4(new WeightSpec { Type = type, GroupSize = block, Symmetric = symmetric }), default);
        Assert.Equal(5, OpCounts(result.Model)["MatMulNBits"]); // Q, K, V fused
        double cosine = Cosine(fp32, result.Model, Tokens(o, 1, 8));
        Assert.True(cosine >= (type switch { "int2" => 0.5, "int8" => 0.999, _ => 0.99 }), $"cosine {cosine}");
    }

    [Fact]
    public void Excluded_nodes_stay_float()
    {
        var o = TransformerOptions.Small with { Blocks = 1 };
        var fp32 = TransformerModelBuilder.Build(o);
        var recipe = RecipeResolver.Resolve(new Recipe
        {
            Preset = "w4-rtn",
            Nodes = new NodeSelection { Include = new NodeFilter { OpTypes = ["MatMul"] }, Exclude = new NodeFilter { Names = ["logits"] } },
        });
        var result = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32), recipe, default);
        Assert.Equal(4, OpCounts(result.Model)["MatMulNBits"]); // Q, K, V fused
        Assert.Contains(result.Model.Graph.Initializer, t => t.Name == "lm_head.weight");
    }

    [Fact]
    public void Full_size_transformer_shrinks_below_a_third_and_runs()
    {
        var o = TransformerOptions.Full;
        Assert.True(o.ParameterCount >= 50_000_000);
        var fp32 = TransformerModelBuilder.Build(o);
        var result = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32), W4(), default);
        long fp32Bytes = fp32.CalculateSize(), w4Bytes = result.Model.CalculateSize();
        Assert.True(w4Bytes <= 0.3 * fp32Bytes, $"{w4Bytes} vs {fp32Bytes}");
        double cosine = Cosine(fp32, result.Model, Tokens(o, 1, 8));
        Assert.True(cosine >= 0.99, $"cosine {cosine}");
    }
}
