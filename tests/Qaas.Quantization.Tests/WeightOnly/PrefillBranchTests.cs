using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;

namespace Qaas.Quantization.Tests.WeightOnly;

/// <summary>recipe "prefill": "int8" on the small test transformer, run in ONNX Runtime.</summary>
public class PrefillBranchTests(ITestOutputHelper output)
{
    private static readonly TransformerOptions Options = TransformerOptions.Small;

    private static QuantizedModel Quantize(string? prefill) => Quantizers.Run(OnnxModel.FromProto(TransformerModelBuilder.Build(Options)),
        RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Prefill = prefill }), null, null, CancellationToken.None);

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * (double)b[i]; na += a[i] * (double)a[i]; nb += b[i] * (double)b[i]; }
        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public void One_row_runs_MatMulNBits_and_many_rows_run_the_int8_twin()
    {
        var plain = Quantize("none").Model;
        var branched = Quantize("int8");
        Assert.Contains(branched.Warnings, w => w.StartsWith($"prefill int8: {4 * Options.Blocks + 1} MatMulNBits got an int8 twin"));
        var branch = Assert.Single(branched.Model.Graph.Node, n => n.OpType == "If");
        var single = branch.Attribute.Single(a => a.Name == "then_branch").G;
        var many = branch.Attribute.Single(a => a.Name == "else_branch").G;
        Assert.Equal(4 * Options.Blocks + 1, single.Node.Count(n => n.OpType == "MatMulNBits"));
        Assert.Equal(4 * Options.Blocks + 1, many.Node.Count(n => n.OpType == "DynamicQuantizeMatMul"));
        Assert.DoesNotContain(many.Node, n => n.OpType == "MatMulNBits");
        // No int8 weight is stored: the file only grows by a scale and zero point per output column and the graph's
        // second copy (measured: 55 KB here, of which 14 KB are the column parameters).
        Assert.DoesNotContain(branched.Model.Graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Int8 && t.Dims.Count > 1);
        long columns = single.Node.Where(n => n.OpType == "MatMulNBits").Sum(n => n.Attribute.Single(a => a.Name == "N").I);
        long growth = branched.Model.CalculateSize() - plain.CalculateSize();
        output.WriteLine($"file grows by {growth} bytes ({plain.CalculateSize()} before)");
        Assert.True(growth <= 5 * columns + 64 * 1024, $"{growth} bytes");

        // One token: the same kernels as the plain model, so the same logits.
        var oneToken = TransformerRun.Tokens(Options, 1, 1);
        var plainOne = TransformerRun.Run(plain, oneToken);
        var branchedOne = TransformerRun.Run(branched.Model, oneToken);
        Assert.Equal(plainOne, branchedOne);

        // 16 tokens: int8 GEMM on the 4-bit weights rounded to int8 per column, with int8 activations: close, not equal.
        var prompt = TransformerRun.Tokens(Options, 1, 16);
        var fp32 = TransformerRun.Run(TransformerModelBuilder.Build(Options), prompt);
        var plainMany = TransformerRun.Run(plain, prompt);
        var branchedMany = TransformerRun.Run(branched.Model, prompt);
        double againstPlain = Cosine(plainMany, branchedMany), againstFp32 = Cosine(fp32, branchedMany);
        output.WriteLine($"16 tokens: cosine {againstPlain:F5} against the MatMulNBits path, {againstFp32:F5} against fp32 ({Cosine(fp32, plainMany):F5} for MatMulNBits)");
        Assert.NotEqual(plainMany, branchedMany);
        Assert.True(againstPlain >= 0.999, $"cosine {againstPlain}");
    }

    [Fact]
    public void OnnxRuntime_folds_the_unpacking_chain_when_it_loads_the_model()
    {
        // ORT's profile lists the kernels a run executes: the int8 GEMMs, and none of the chain's ops (folded at load).
        var ops = ProfiledRun.Of(Quantize("int8").Model, TransformerRun.Tokens(Options, 1, 16)).Kernels.Values.ToHashSet();
        output.WriteLine(string.Join(", ", ops.Order()));
        Assert.Contains("DynamicQuantizeMatMul", ops);
        Assert.DoesNotContain("MatMulNBits", ops);
        foreach (var chainOp in new[] { "BitShift", "Mod", "Unsqueeze", "Concat", "Cast", "QuantizeLinear" })
            Assert.DoesNotContain(chainOp, ops);
    }

    [Theory]
    [InlineData("int4")]
    [InlineData("int8")]
    public void Unnamed_nodes_zero_points_a_short_last_block_and_a_passed_through_output_work(string weightType)
    {
        // x[rows, 80] -> MatMul -> Relu -> MatMul -> y, nodes unnamed, and x itself is also a graph output. Asymmetric
        // blocks of 32 over K = 80: zero points, and a last block of 16.
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(ModelBuilder.Tensor("x", 1, "rows", 80));
        graph.Output.Add(ModelBuilder.Tensor("y", 1));
        graph.Output.Add(ModelBuilder.Tensor("x", 1, "rows", 80));
        graph.Initializer.Add(Onnx.Graph.TensorData.Create<float>("w1", TestData.Gaussian(80 * 48, 0.2f, seed: 1), [80, 48]));
        graph.Initializer.Add(Onnx.Graph.TensorData.Create<float>("w2", TestData.Gaussian(48 * 16, 0.2f, seed: 2), [48, 16]));
        foreach (var (op, inputs, output) in new[] { ("MatMul", new[] { "x", "w1" }, "h"), ("Relu", new[] { "h" }, "r"), ("MatMul", new[] { "r", "w2" }, "y") })
        {
            var node = new NodeProto { OpType = op };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            graph.Node.Add(node);
        }
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        Recipe Recipe(string? prefill) => RecipeResolver.Resolve(new Recipe
        {
            Preset = "w4-rtn", Prefill = prefill, Weights = new WeightSpec { Type = weightType, GroupSize = 32, Symmetric = false },
            Nodes = new NodeSelection { Include = new NodeFilter { OpTypes = ["MatMul"] } },
        });
        var plain = Quantizers.Run(OnnxModel.FromProto(model), Recipe("none"), null, null, CancellationToken.None).Model;
        var branched = Quantizers.Run(OnnxModel.FromProto(model), Recipe("int8"), null, null, CancellationToken.None);
        Assert.Contains(branched.Warnings, w => w.StartsWith("prefill int8: 2 MatMulNBits"));
        Assert.All(plain.Graph.Node.Where(n => n.OpType == "MatMulNBits"), n => Assert.Equal(4, n.Input.Count));

        foreach (var rows in new[] { 1, 12 })
        {
            var input = new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TestData.Uniform(rows * 80, -1, 1, seed: 5), rows, 80) };
            var expected = TransformerRun.RunOutput(plain, input, "y");
            var actual = TransformerRun.RunOutput(branched.Model, input, "y");
            Assert.Equal(input["x"].ToArray<float>(), TransformerRun.RunOutput(branched.Model, input, "x"));
            if (rows == 1) Assert.Equal(expected, actual);
            else Assert.True(Cosine(expected, actual) >= 0.999, $"cosine {Cosine(expected, actual)}");
        }
    }

    [Fact]
    public void A_model_with_control_flow_of_its_own_keeps_one_path()
    {
        var quantized = Quantize("none").Model;
        var wrapped = quantized.Clone();
        Assert.True(PrefillBranch.Apply(wrapped) > 0);
        // The branched model now has an If in its main graph: a second pass leaves it as it is.
        var before = wrapped.ToByteArray();
        Assert.Equal(0, PrefillBranch.Apply(wrapped));
        Assert.Equal(before, wrapped.ToByteArray());
    }

    [Fact]
    public void A_model_without_4bit_MatMulNBits_is_left_alone()
    {
        var model = TransformerModelBuilder.Build(Options);
        var before = model.ToByteArray();
        Assert.Equal(0, PrefillBranch.Apply(model));
        Assert.Equal(before, model.ToByteArray());
    }

    [Fact]
    public void The_w4_presets_add_the_int8_path_by_themselves_and_count_its_weights()
    {
        var plain = Quantize("none");
        Assert.DoesNotContain(plain.Model.Graph.Node, n => n.OpType == "If");
        Assert.DoesNotContain(plain.Warnings, w => w.StartsWith("prefill"));
        // K·N of every packed projection: what the int8 path adds to a session, held against PrefillBranch.AutoBudgetBytes.
        long expected = plain.Model.Graph.Node.Where(n => n.OpType == "MatMulNBits")
            .Sum(n => n.Attribute.Single(a => a.Name == "K").I * n.Attribute.Single(a => a.Name == "N").I);
        Assert.True(expected > 0);
        Assert.Equal(expected, PrefillBranch.TwinBytes(plain.Model.Graph));

        var preset = Quantize(null);
        Assert.Contains(preset.Warnings, w => w.StartsWith($"prefill int8: {4 * Options.Blocks + 1} MatMulNBits got an int8 twin"));
        Assert.Single(preset.Model.Graph.Node, n => n.OpType == "If");
    }

    [Fact]
    public void Auto_stays_quiet_where_there_is_nothing_to_add_and_int8_says_so()
    {
        // x -> Relu -> y: no MatMul, so no MatMulNBits for the int8 path to twin.
        var graph = new GraphProto { Name = "relu" };
        graph.Input.Add(ModelBuilder.Tensor("x", 1, "rows", 8));
        graph.Output.Add(ModelBuilder.Tensor("y", 1, "rows", 8));
        graph.Node.Add(ModelBuilder.Node("Relu", "relu", ["x"], ["y"]));
        var model = ModelBuilder.Model(graph);
        QuantizedModel Run(string prefill) => Quantizers.Run(OnnxModel.FromProto(model.Clone()),
            RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Prefill = prefill }), null, null, CancellationToken.None);

        Assert.DoesNotContain(Run("auto").Warnings, w => w.StartsWith("prefill"));
        Assert.Contains(Run("int8").Warnings, w => w.StartsWith("prefill int8 found no"));
    }

    [Fact]
    public void Auto_keeps_within_its_budget()
    {
        var plain = Quantize("none").Model;
        long twinBytes = PrefillBranch.TwinBytes(plain.Graph);
        var over = plain.Clone();
        var note = PrefillBranch.ApplyFor(over, "auto", "cpu", autoBudgetBytes: twinBytes - 1);
        Assert.StartsWith("prefill auto: no int8 path for many-row inputs", note);
        Assert.Equal(plain.ToByteArray(), over.ToByteArray());
        var within = plain.Clone();
        Assert.StartsWith("prefill int8:", PrefillBranch.ApplyFor(within, "auto", "cpu", autoBudgetBytes: twinBytes));
        Assert.Single(within.Graph.Node, n => n.OpType == "If");
    }

    [Fact]
    public void Auto_is_only_for_4bit_token_models_on_the_CPU_and_int8_asks_for_no_such_thing()
    {
        // On CUDA ORT has no DynamicQuantizeMatMul: "auto" leaves the model as it is, an explicit "int8" does not.
        var plain = Quantize("none").Model;
        var onCuda = plain.Clone();
        Assert.Null(PrefillBranch.ApplyFor(onCuda, "auto", "cuda"));
        Assert.Equal(plain.ToByteArray(), onCuda.ToByteArray());
        Assert.StartsWith("prefill int8:", PrefillBranch.ApplyFor(plain.Clone(), "int8", "cuda"));

        // 8-bit weights only: nothing of what "auto" is for.
        Recipe EightBit(string prefill) => RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Prefill = prefill, Weights = new WeightSpec { Type = "int8" } });
        var eight = Quantizers.Run(OnnxModel.FromProto(TransformerModelBuilder.Build(Options)), EightBit("auto"), null, null, CancellationToken.None);
        Assert.DoesNotContain(eight.Model.Graph.Node, n => n.OpType == "If");
        Assert.Contains(eight.Model.Graph.Node, n => n.OpType == "MatMulNBits");
        var eightInt8 = Quantizers.Run(OnnxModel.FromProto(TransformerModelBuilder.Build(Options)), EightBit("int8"), null, null, CancellationToken.None);
        Assert.Single(eightInt8.Model.Graph.Node, n => n.OpType == "If");

        // A float input (not token ids): a batch of rows is not a prompt.
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(ModelBuilder.Tensor("x", 1, "rows", 64));
        graph.Output.Add(ModelBuilder.Tensor("y", 1));
        graph.Initializer.Add(Onnx.Graph.TensorData.Create<float>("w", TestData.Gaussian(64 * 32, 0.2f, seed: 1), [64, 32]));
        graph.Node.Add(ModelBuilder.Node("MatMul", "matmul", ["x", "w"], ["y"]));
        var model = ModelBuilder.Model(graph);
        QuantizedModel Mlp(string prefill) => Quantizers.Run(OnnxModel.FromProto(model.Clone()),
            RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Prefill = prefill, Weights = new WeightSpec { GroupSize = 32 } }), null, null, CancellationToken.None);
        Assert.DoesNotContain(Mlp("auto").Model.Graph.Node, n => n.OpType == "If");
        Assert.Single(Mlp("int8").Model.Graph.Node, n => n.OpType == "If");
    }
}
