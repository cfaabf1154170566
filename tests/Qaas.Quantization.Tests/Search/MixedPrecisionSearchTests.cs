using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Search;
using Qaas.Quantization.WeightOnly;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.Search;

/// <summary>Bit allocation under a size budget for MatMulNBits weights, on the small test transformer run in ONNX Runtime.</summary>
public class MixedPrecisionSearchTests(ITestOutputHelper output)
{
    private static readonly TransformerOptions Options = TransformerOptions.Small;

    private static Recipe Mixed(double sizeRatio) => RecipeResolver.Resolve(new Recipe
    {
        Preset = "mixed-size",
        MixedPrecision = new MixedPrecisionSpec { Candidates = ["int4", "int8"], Objective = "size", Budget = new BudgetSpec { SizeRatio = sizeRatio } },
    });

    private static Recipe Uniform(string type) => RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Weights = new WeightSpec { Type = type } });

    private static long TensorBytes(ModelProto model) => model.Graph.Initializer.Sum(t => TensorLayout.ByteSize(t) ?? 0);

    private static int[] Bits(ModelProto model) => model.Graph.Node.Where(n => n.OpType == "MatMulNBits")
        .Select(n => (int)n.Attribute.Single(a => a.Name == "bits").I).ToArray();

    [Fact]
    public void A_budget_between_int4_and_int8_gets_both_and_lands_between_them_in_fidelity()
    {
        var fp32 = TransformerModelBuilder.Build(Options);
        var model = OnnxModel.FromProto(fp32);
        var int4 = MatMulNBitsQuantizer.Quantize(model, Uniform("int4"));
        var int8 = MatMulNBitsQuantizer.Quantize(model, Uniform("int8"));
        double total = TensorBytes(fp32), small = TensorBytes(int4.Model) / total, large = TensorBytes(int8.Model) / total;
        double budget = (small + large) / 2;

        var mixed = MixedPrecisionSearch.Quantize(model, Mixed(budget), Sentences(Options, 4, 16, 10));
        var heldOut = Sentences(Options, 4, 16, 900);
        double sqnr4 = OutputSqnr(fp32, int4.Model, heldOut), sqnr8 = OutputSqnr(fp32, int8.Model, heldOut);
        double sqnrMixed = OutputSqnr(fp32, mixed.Model, heldOut), size = TensorBytes(mixed.Model) / total;
        output.WriteLine($"tensor bytes / fp32: int4 {small:F3}, int8 {large:F3}, mixed {size:F3} (budget {budget:F3}); " +
            $"SQNR int4 {sqnr4:F2} dB, mixed {sqnrMixed:F2} dB, int8 {sqnr8:F2} dB; {mixed.Warnings.Last()}");

        Assert.Contains(4, Bits(mixed.Model));
        Assert.Contains(8, Bits(mixed.Model));
        Assert.True(size <= budget * 1.01, $"{size:F3} over the budget {budget:F3}");
        Assert.True(sqnrMixed > sqnr4 + 3, $"mixed {sqnrMixed:F2} dB vs int4 {sqnr4:F2} dB");
        Assert.True(sqnrMixed < sqnr8, $"mixed {sqnrMixed:F2} dB vs int8 {sqnr8:F2} dB");
        Assert.All(mixed.Nodes, n => Assert.NotNull(n.Sensitivity));
        Assert.Contains(mixed.Nodes, n => n.Type == "int8" && n.Bits == 8);
    }

    [Fact]
    public void The_most_sensitive_weights_per_byte_are_upgraded_first()
    {
        var model = OnnxModel.FromProto(TransformerModelBuilder.Build(Options));
        // Room for about one weight's upgrade beyond all-int4.
        var int4 = MatMulNBitsQuantizer.Quantize(model, Uniform("int4"));
        double total = TensorBytes(model.Proto);
        var mixed = MixedPrecisionSearch.Quantize(model, Mixed(TensorBytes(int4.Model) / total + 0.02), Sentences(Options, 4, 16, 10));
        var upgraded = mixed.Nodes.Where(n => n.Bits == 8).ToList();
        var kept = mixed.Nodes.Where(n => n.Bits == 4).ToList();
        Assert.NotEmpty(upgraded);
        Assert.NotEmpty(kept);
        // Same-shaped weights compete on sensitivity alone: an upgraded one is at least as sensitive as a kept twin.
        foreach (var u in upgraded)
            Assert.DoesNotContain(kept, k => k.OpType == u.OpType && SameShape(model, k.Name, u.Name) && k.Sensitivity > u.Sensitivity);
    }

    private static bool SameShape(OnnxModel model, string a, string b)
    {
        var matMuls = WeightedMatMuls.FindAll(model.Proto.Graph, null).ToDictionary(m => m.ReportName);
        return matMuls[a].K == matMuls[b].K && matMuls[a].N == matMuls[b].N;
    }

    [Fact]
    public void A_budget_below_all_int4_keeps_every_weight_at_4_bits_and_says_it_was_missed()
    {
        var model = OnnxModel.FromProto(TransformerModelBuilder.Build(Options with { Blocks = 1 }));
        var mixed = MixedPrecisionSearch.Quantize(model, Mixed(0.05), Sentences(Options, 2, 8, 10));
        Assert.All(Bits(mixed.Model), b => Assert.Equal(4, b));
        Assert.Contains(mixed.Warnings, w => w.Contains("cannot be met"));
    }

    [Fact]
    public void A_budget_of_the_whole_fp32_size_puts_every_weight_at_8_bits()
    {
        var model = OnnxModel.FromProto(TransformerModelBuilder.Build(Options with { Blocks = 1 }));
        var mixed = MixedPrecisionSearch.Quantize(model, Mixed(1.0), Sentences(Options, 2, 8, 10));
        Assert.All(Bits(mixed.Model), b => Assert.Equal(8, b));
    }
}
