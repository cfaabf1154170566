using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Search;
using Qaas.Quantization.WeightOnly;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.Transforms.TransformModels;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.Search;

/// <summary>Bit allocation under a size budget for MatMulNBits weights, run in ONNX Runtime.</summary>
public class MixedPrecisionSearchTests(ITestOutputHelper output)
{
    private static readonly TransformerOptions Options = TransformerOptions.Small;

    private static Recipe Mixed(double sizeRatio) => RecipeResolver.Resolve(new Recipe
    {
        Preset = "mixed-size", MixedPrecision = new MixedPrecisionSpec { Budget = new BudgetSpec { SizeRatio = sizeRatio } },
    });

    private static Recipe Uniform(string type) => RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Weights = new WeightSpec { Type = type } });

    // Packed MatMul weights of a quantized model against the fp32 bytes of the weights they replace (each counted once).
    private static double WeightRatio(ModelProto fp32, ModelProto quantized)
    {
        var promoted = fp32.Clone();
        new Qaas.Onnx.Rewrite.GraphEditor(promoted).PromoteConstantsToInitializers();
        long original = WeightedMatMuls.FindAll(promoted.Graph, null).GroupBy(m => m.WeightName).Sum(g => TensorLayout.ByteSize(g.First().Weight) ?? 0);
        return (double)MatMulNBitsQuantizer.PackedWeightBytes(quantized) / original;
    }

    private static int[] Bits(ModelProto model) => model.Graph.Node.Where(n => n.OpType == "MatMulNBits")
        .Select(n => (int)n.Attribute.Single(a => a.Name == "bits").I).ToArray();

    /// <summary>The small transformer quantized all-int4 and all-int8, and their weight ratios.</summary>
    private static (ModelProto Fp32, OnnxModel Model, ModelProto Int4, ModelProto Int8, double Small, double Large) Uniforms()
    {
        var fp32 = TransformerModelBuilder.Build(Options);
        var model = OnnxModel.FromProto(fp32);
        var int4 = MatMulNBitsQuantizer.Quantize(model, Uniform("int4")).Model;
        var int8 = MatMulNBitsQuantizer.Quantize(model, Uniform("int8")).Model;
        return (fp32, model, int4, int8, WeightRatio(fp32, int4), WeightRatio(fp32, int8));
    }

    [Fact]
    public void A_budget_between_int4_and_int8_gets_both_and_lands_between_them_in_fidelity()
    {
        var (fp32, model, int4, int8, small, large) = Uniforms();
        double budget = (small + large) / 2;

        var mixed = MixedPrecisionSearch.Quantize(model, Mixed(budget), Sentences(Options, 4, 16, 10));
        var heldOut = Sentences(Options, 4, 16, 900);
        double sqnr4 = OutputSqnr(fp32, int4, heldOut), sqnr8 = OutputSqnr(fp32, int8, heldOut);
        double sqnrMixed = OutputSqnr(fp32, mixed.Model, heldOut), size = WeightRatio(fp32, mixed.Model);
        output.WriteLine($"MatMul weight bytes / fp32: int4 {small:F3}, int8 {large:F3}, mixed {size:F3} (budget {budget:F3}); " +
            $"SQNR int4 {sqnr4:F2} dB, mixed {sqnrMixed:F2} dB, int8 {sqnr8:F2} dB; {mixed.Warnings.Last()}");

        Assert.Contains(4, Bits(mixed.Model));
        Assert.Contains(8, Bits(mixed.Model));
        Assert.True(size <= budget, $"{size:F4} over the budget {budget:F4}");
        Assert.True(sqnrMixed > sqnr4 + 3, $"mixed {sqnrMixed:F2} dB vs int4 {sqnr4:F2} dB");
        Assert.True(sqnrMixed < sqnr8, $"mixed {sqnrMixed:F2} dB vs int8 {sqnr8:F2} dB");
        Assert.All(mixed.Nodes, n => Assert.NotNull(n.Sensitivity));
        Assert.Contains(mixed.Nodes, n => n.Type == "int8" && n.Bits == 8);
        Assert.Contains($"{size:F3}x", mixed.Warnings.Last());

        // The report's search section: the greedy's allocations from all int4 to all int8, as predictions.
        var search = mixed.Search!;
        Assert.True(search.Predicted);
        Assert.True(search.CandidatesTried >= 3, $"{search.CandidatesTried} candidates"); // all int4, upgrades, all int8
        Assert.Equal(size, search.Chosen.SizeRatio, 0.01);
        Assert.Contains(search.Chosen, search.ParetoFront);
        // Its ends are all int4 and all int8, in the knapsack's byte counts (within a few percent of the built models').
        Assert.Equal(small, search.ParetoFront[0].SizeRatio, 0.03);
        Assert.Equal(large, search.ParetoFront[^1].SizeRatio, 0.03);
        // Along the front, more bytes buy a higher predicted SQNR.
        Assert.Equal(search.ParetoFront.Select(p => p.MinSqnrDb).Order(), search.ParetoFront.Select(p => p.MinSqnrDb));
    }

    [Fact]
    public void Past_the_measured_weight_count_groups_still_buy_fidelity_within_the_budget()
    {
        var (fp32, model, int4, _, small, large) = Uniforms();
        double budget = (small + large) / 2;

        // 13 weights measured in 4 groups of consecutive weights.
        var local = MixedPrecisionSearch.Quantize(model, Mixed(budget), Sentences(Options, 4, 16, 10), maxMeasuredWeights: 4);
        var heldOut = Sentences(Options, 4, 16, 900);
        double sqnr4 = OutputSqnr(fp32, int4, heldOut), sqnrLocal = OutputSqnr(fp32, local.Model, heldOut);
        double size = WeightRatio(fp32, local.Model);
        output.WriteLine($"grouped: {size:F3}x (budget {budget:F3}), SQNR {sqnrLocal:F2} dB against int4 {sqnr4:F2} dB; " +
            string.Join(" | ", local.Warnings));
        Assert.Contains(local.Warnings, w => w.Contains("measured in 4 groups"));
        Assert.True(size <= budget, $"{size:F4} over the budget {budget:F4}");
        Assert.True(sqnrLocal > sqnr4 + 3, $"local {sqnrLocal:F2} dB vs int4 {sqnr4:F2} dB");
        Assert.All(local.Nodes, n => Assert.True(n.Sensitivity > 0));
    }

    [Fact]
    public void A_groups_noise_is_shared_by_local_error_at_each_width()
    {
        int[] bits = [4, 8];
        var local = new double[,] { { 4, 1 }, { 1, 0.25 }, { 0, 0 } };
        var noise = new double[3, 2];
        LocalNoise.Share(10, local, 0, 3, bits, noise);
        Assert.Equal(8, noise[0, 0], 12);
        Assert.Equal(2, noise[0, 1], 12);
        Assert.Equal(2, noise[1, 0], 12);
        Assert.Equal(0.5, noise[1, 1], 12);
        // No local error of its own: the smallest share in the group, not zero.
        Assert.Equal(2, noise[2, 0], 12);
        Assert.Equal(2.0 / 256, noise[2, 1], 12);

        var none = new double[2, 2];
        LocalNoise.Share(10, new double[2, 2], 0, 2, bits, none);
        Assert.Equal(5, none[0, 0], 12);
        Assert.Equal(5.0 / 256, none[1, 1], 12);
    }

    [Fact]
    public void The_most_sensitive_weights_per_byte_are_upgraded_first()
    {
        var fp32 = TransformerModelBuilder.Build(Options);
        var model = OnnxModel.FromProto(fp32);
        // Room for a few upgrades beyond all-int4.
        double budget = WeightRatio(fp32, MatMulNBitsQuantizer.Quantize(model, Uniform("int4")).Model) + 0.02;
        var mixed = MixedPrecisionSearch.Quantize(model, Mixed(budget), Sentences(Options, 4, 16, 10));
        var upgraded = mixed.Nodes.Where(n => n.Bits == 8).ToList();
        var kept = mixed.Nodes.Where(n => n.Bits == 4).ToList();
        Assert.NotEmpty(upgraded);
        Assert.NotEmpty(kept);
        // Same-shaped weights compete on sensitivity alone: an upgraded one is at least as sensitive as a kept twin.
        var shapes = WeightedMatMuls.FindAll(fp32.Graph, null).ToDictionary(m => m.ReportName, m => (m.K, m.N));
        foreach (var u in upgraded)
            Assert.DoesNotContain(kept, k => shapes[k.Name] == shapes[u.Name] && k.Sensitivity > u.Sensitivity);
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

    private static Recipe Latency(double latencyRatio) => RecipeResolver.Resolve(new Recipe
    {
        Preset = "mixed-size",
        MixedPrecision = new MixedPrecisionSpec { Objective = "latency", Budget = new BudgetSpec { LatencyRatio = latencyRatio } },
    });

    [Fact]
    public void A_loose_latency_budget_puts_every_weight_at_8_bits_and_an_impossible_one_says_so()
    {
        // Timings decide nothing at these extremes: 10x fp32's time always fits all int8, 0.001x never fits (an upgrade
        // that the timings find free may still be taken, so the bits of the impossible one are not fixed).
        var model = OnnxModel.FromProto(TransformerModelBuilder.Build(Options with { Blocks = 1 }));
        var loose = MixedPrecisionSearch.Quantize(model, Latency(10), Sentences(Options, 2, 8, 10));
        Assert.All(Bits(loose.Model), b => Assert.Equal(8, b));
        Assert.All(loose.Search!.ParetoFront, p => Assert.NotNull(p.Speedup)); // a latency search predicts speed too
        Assert.Contains(loose.Warnings, w => w.StartsWith("Mixed precision (latency): 0 at 4 bits, 7 at 8 bits of 7 MatMul weights; predicted"));
        var impossible = MixedPrecisionSearch.Quantize(model, Latency(0.001), Sentences(Options, 2, 8, 10));
        Assert.Contains(impossible.Warnings, w => w.StartsWith("Mixed precision (latency): the latency budget") && w.Contains("cannot be met"));
    }

    [Fact]
    public void A_node_name_with_a_quote_does_not_break_the_latency_profile()
    {
        // ORT writes node names into its profile's JSON without escaping them.
        var proto = TransformerModelBuilder.Build(Options with { Blocks = 1 });
        foreach (var node in proto.Graph.Node.Where(n => n.OpType == "MatMul"))
            node.Name += "\"q\\";
        var mixed = MixedPrecisionSearch.Quantize(OnnxModel.FromProto(proto), Latency(10), Sentences(Options, 2, 8, 10));
        Assert.All(Bits(mixed.Model), b => Assert.Equal(8, b));
    }

    [Fact]
    public void The_measured_difference_is_shared_by_profiled_differences_of_its_sign()
    {
        // Profiled int8 - int4: +2, -1, +5 us; the whole model measured 70 us slower at int8.
        double[,] profiled = { { 10, 12 }, { 10, 9 }, { 10, 15 } };
        var costs = MixedPrecisionBudget.Shares(profiled, [100, 170], [1, 1, 1]);
        Assert.Equal([20.0, 0.0, 50.0], costs.Select(c => c[1]));
        Assert.All(costs, c => Assert.Equal(0, c[0]));
        // Measured 30 us faster: only the weight profiled faster takes it.
        Assert.Equal([0.0, -30.0, 0.0], MixedPrecisionBudget.Shares(profiled, [100, 70], [1, 1, 1]).Select(c => c[1]));
        // Measured faster while every profiled difference says slower: shared by size, all negative.
        double[,] slower = { { 10, 12 }, { 10, 11 }, { 10, 15 } };
        Assert.Equal([-5.0, -10.0, -15.0], MixedPrecisionBudget.Shares(slower, [100, 70], [1, 2, 3]).Select(c => c[1]));
    }

    [Fact]
    public void The_allocation_takes_free_upgrades_and_the_best_noise_per_cost_within_the_budget()
    {
        // Weight 0: upgrade saves 5; weight 1: costs 10 and removes a lot of noise; weight 2: costs 10 and removes little.
        var budget = new MixedPrecisionBudget([[0, -5], [0, 10], [0, 10]], Base: 100, Budget: 106, Reference: 400);
        double[,] noise = { { 1, 0.9 }, { 5, 1 }, { 2, 1.9 } };
        var (levels, total, fewest) = budget.Allocate(noise);
        Assert.Equal(100, fewest);
        Assert.Equal([1, 1, 0], levels); // 100 - 5 + 10 = 105 fits 106; the third would make 115
        Assert.Equal(105, total);
        // Over budget from the start: only the free upgrade is taken.
        var (tight, tightTotal, _) = (budget with { Budget = 50 }).Allocate(noise);
        Assert.Equal([1, 0, 0], tight);
        Assert.Equal(95, tightTotal);
    }

    [Fact]
    public void Every_weight_gets_its_own_kernel_time_at_each_width()
    {
        // A MatMul the profile could not be matched to would cost nothing and always be upgraded.
        var proto = TransformerModelBuilder.Build(Options with { Blocks = 1 });
        var model = OnnxModel.FromProto(proto);
        var uses = WeightedMatMuls.FindAll(proto.Graph, null).GroupBy(m => m.WeightName)
            .Select(g => (IReadOnlyList<WeightedMatMul>)g.ToList()).ToList();
        var recipe = Latency(1);
        var costs = LatencyCosts.Measure(uses, [4, 8],
            b => MatMulNBitsQuantizer.Quantize(model, recipe, MatMulNBitsOptions.Default with { BitsOf = _ => b, FuseSharedInput = false }).Model,
            Sentences(Options, 1, 16, 3).Samples().First(), new Runtime.Sessions.InferenceSessionOptions { IntraOpThreads = 1, AllowSpinning = false },
            CancellationToken.None);
        output.WriteLine(string.Join("; ", Enumerable.Range(0, uses.Count).Select(w => $"{uses[w][0].WeightName} {costs[w, 0]:F1}/{costs[w, 1]:F1} us")));
        for (int w = 0; w < uses.Count; w++)
            for (int b = 0; b < 2; b++)
                Assert.True(costs[w, b] > 0, $"{uses[w][0].WeightName} at {(b == 0 ? 4 : 8)} bits");
    }

    private const int K = 256, N = 64;

    // x[1, 8, K] -> MatMul(x, w0) -> MatMul(., w1) -> y, the weights as initializers or Constant nodes, w1 possibly w0.
    private static ModelProto TwoMatMuls(bool shared, bool constantNodes)
    {
        var graph = new GraphProto { Name = "two-matmuls" };
        graph.Input.Add(Float("x", 1, 8, K));
        graph.Output.Add(Float("y", 1, 8, N));
        var names = shared ? new[] { "w0", "w0" } : ["w0", "w1"];
        foreach (var (name, seed) in names.Distinct().Select((n, i) => (n, i)))
        {
            var tensor = TensorData.Create<float>(name, TestData.Uniform(K * K, -0.1f, 0.1f, seed: 40 + seed), [K, K]);
            if (!constantNodes) graph.Initializer.Add(tensor);
            else graph.Node.Add(Node("Constant", [], [name], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor }));
        }
        graph.Node.Add(Node("MatMul", ["x", names[0]], ["h"]));
        graph.Initializer.Add(TensorData.Create<float>("w_out", TestData.Uniform(K * N, -0.1f, 0.1f, seed: 50), [K, N]));
        graph.Node.Add(Node("MatMul", ["h", names[1]], ["h2"]));
        graph.Node.Add(Node("MatMul", ["h2", "w_out"], ["y"]));
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model;
    }

    // Unshared: all int4 ~0.13x, all int8 ~0.25x of the weights' fp32 bytes. Shared: the quantizer writes the shared
    // weight once per MatMul, so all int4 is already 0.237x and only the small output weight can move to 8 bits.
    [Theory]
    [InlineData(true, false, 0.3)]
    [InlineData(false, true, 0.2)]
    public void The_budget_holds_for_shared_weights_and_constant_node_weights(bool shared, bool constantNodes, double budget)
    {
        var fp32 = TwoMatMuls(shared, constantNodes);
        var model = OnnxModel.FromProto(fp32);
        var mixed = MixedPrecisionSearch.Quantize(model, Mixed(budget), UniformTokens(2, 8, K, 3));
        double size = WeightRatio(fp32, mixed.Model);
        output.WriteLine($"shared {shared}, Constant nodes {constantNodes}: {size:F3}x, bits {string.Join(",", Bits(mixed.Model))}; " +
            $"sensitivities {string.Join(", ", mixed.Nodes.Select(n => $"{n.Name} {n.Sensitivity:G3}"))}; {mixed.Warnings.Last()}");
        Assert.True(size <= budget, $"{size:F4} over the budget {budget}");
        Assert.Contains(8, Bits(mixed.Model));
        Assert.Contains($"{size:F3}x", mixed.Warnings.Last());
    }
}
