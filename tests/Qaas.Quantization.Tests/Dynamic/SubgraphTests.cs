using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Dynamic;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Recipes;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.WeightOnly.SubgraphModels;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.Dynamic;

/// <summary>Dynamic quantization of MatMuls and Convs inside If branches and a Loop body (<see cref="SubgraphModels"/>).</summary>
public class SubgraphTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(DynamicMatMulForm.Standard, "MatMulInteger")]
    [InlineData(DynamicMatMulForm.Fused, "DynamicQuantizeMatMul")]
    public void Subgraph_MatMuls_become_integer_and_a_shared_captured_weight_is_quantized_once(DynamicMatMulForm form, string op)
    {
        var fp32 = MatMuls();
        var result = DynamicQuantizer.Quantize(OnnxModel.FromProto(fp32), RecipeResolver.Resolve(new Recipe { Preset = "int8-dynamic" }), form);

        Assert.Equal(["branch/else_branch/mm", "branch/then_branch/mm", "branch/then_branch/mm_const", "mm_main", "repeat/body/mm_loop"],
            result.Nodes.Select(n => n.Name).Order());
        var model = result.Model;
        var then = Subgraph(model, "branch", "then_branch");
        var otherwise = Subgraph(model, "branch", "else_branch");
        var body = Subgraph(model, "repeat", "body");
        Assert.Equal(2, then.Node.Count(n => n.OpType == op));
        Assert.All(new[] { model.Graph, otherwise, body }, g => Assert.Single(g.Node, n => n.OpType == op));
        Assert.All(new[] { model.Graph, then, otherwise, body }, g => Assert.DoesNotContain(g.Node, n => n.OpType == "MatMul"));
        // One int8 copy of W_shared, in the main graph, read by the else branch and the loop body.
        var shared = Assert.Single(model.Graph.Initializer, t => t.Name.StartsWith("W_shared_quantized"));
        Assert.All(new[] { otherwise, body }, g => Assert.Equal(shared.Name, g.Node.Single(n => n.OpType == op).Input[1]));
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name == "W_shared");
        if (form == DynamicMatMulForm.Standard)
        {
            // Each graph quantizes the activations its own integer MatMuls read (x once for both MatMuls of the then branch).
            Assert.Single(then.Node, n => n.OpType == "DynamicQuantizeLinear");
            Assert.Single(body.Node, n => n.OpType == "DynamicQuantizeLinear");
        }

        AssertValidAndClose(fp32, model, 0.99, output);
    }

    [Fact]
    public void Wake_word_verifier_branch_runs_quantized()
    {
        // openWakeWord's If runs a verifier (three Gemms on main-graph weights) once the score passes a threshold;
        // the condition is pinned to true here so that every sample goes through the branch.
        var model = OnnxModel.Load(RepositoryPaths.Model("openwakeword", "hey_jarvis_v0.1.onnx"));
        var result = DynamicQuantizer.Quantize(model, RecipeResolver.Resolve(new Recipe { Preset = "int8-dynamic" }));
        var verifier = Subgraph(result.Model, "If_32", "then_branch");
        Assert.Equal(3, verifier.Node.Count(n => n.OpType == "MatMulInteger"));
        Assert.DoesNotContain(verifier.Node, n => n.OpType == "Gemm");

        var errors = new ErrorAccumulator();
        for (int s = 0; s < 4; s++)
        {
            var inputs = new Dictionary<string, Tensor> { ["x.1"] = Tensor.Create(TestData.Uniform(16 * 96, -2, 2, seed: s), 1, 16, 96) };
            errors.Add(Run(VerifierAlways(model.Proto), inputs), Run(VerifierAlways(result.Model), inputs));
        }
        output.WriteLine($"verifier output SQNR {errors.SqnrDb:F1} dB, max |error| {errors.MaxAbsoluteError:E2}");
        // The branch reads x.1 directly: a difference at all shows that its quantized Gemms ran.
        Assert.True(errors.MaxAbsoluteError > 0, "the quantized verifier gave exactly the float output");
        Assert.True(errors.SqnrDb > 25, $"SQNR {errors.SqnrDb} dB");
    }

    private static ModelProto VerifierAlways(ModelProto model)
    {
        var copy = model.Clone();
        copy.Graph.Initializer.Add(Onnx.Graph.TensorData.Create<bool>("always", [true], []));
        copy.Graph.Node.Single(n => n.OpType == "If").Input[0] = "always";
        return copy;
    }

    [Fact]
    public void Subgraph_Convs_become_ConvInteger_with_captured_and_Constant_weights()
    {
        var fp32 = Convs();
        var result = DynamicQuantizer.Quantize(OnnxModel.FromProto(fp32), RecipeResolver.Resolve(new Recipe
        {
            Preset = "int8-dynamic",
            Nodes = new NodeSelection { Include = new NodeFilter { OpTypes = ["Conv", "MatMul"] } },
        }));

        Assert.Equal(["branch/else_branch/conv", "branch/then_branch/conv", "repeat/body/conv_loop"], result.Nodes.Select(n => n.Name).Order());
        var model = result.Model;
        var graphs = new[] { Subgraph(model, "branch", "then_branch"), Subgraph(model, "branch", "else_branch"), Subgraph(model, "repeat", "body") };
        Assert.All(graphs, g => Assert.Single(g.Node, n => n.OpType == "ConvInteger"));
        Assert.All(graphs, g => Assert.DoesNotContain(g.Node, n => n.OpType is "Conv" or "Constant"));
        // Wc_shared (then branch and loop body): quantized once, where it was defined.
        var shared = Assert.Single(model.Graph.Initializer, t => t.Name.StartsWith("Wc_shared_quantized"));
        Assert.Equal(shared.Name, graphs[0].Node.Single(n => n.OpType == "ConvInteger").Input[1]);
        Assert.Equal(shared.Name, graphs[2].Node.Single(n => n.OpType == "ConvInteger").Input[1]);
        Assert.Contains(graphs[1].Initializer, t => t.Name.StartsWith("Wc_local_quantized"));
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name == "Wc_shared");

        AssertValidAndClose(fp32, model, 0.99, output);
    }
}
