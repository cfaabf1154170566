using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using Xunit.Abstractions;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;
using static Qaas.Quantization.Tests.WeightOnly.SubgraphModels;

namespace Qaas.Quantization.Tests.WeightOnly;

/// <summary>Weight-only quantizers on MatMuls inside If branches and a Loop body (<see cref="SubgraphModels.MatMuls"/>).</summary>
public class SubgraphTests(ITestOutputHelper output)
{
    private static readonly string[] ExpectedReports =
        ["mm_main", "branch/then_branch/mm", "branch/then_branch/mm_const", "branch/else_branch/mm", "repeat/body/mm_loop"];

    [Fact]
    public void MatMulNBits_replaces_subgraph_MatMuls_and_stores_a_shared_captured_weight_once()
    {
        var fp32 = MatMuls();
        var result = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32), RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn" }));

        Assert.Equal(ExpectedReports.Order(), result.Nodes.Select(n => n.Name).Order());
        var model = result.Model;
        var then = Subgraph(model, "branch", "then_branch");
        var otherwise = Subgraph(model, "branch", "else_branch");
        var body = Subgraph(model, "repeat", "body");
        foreach (var g in new[] { model.Graph, then, otherwise, body })
            Assert.DoesNotContain(g.Node, n => n.OpType == "MatMul");
        // The then branch's two MatMuls read x: fused into one operator over both weights, as in a main graph.
        var fused = Assert.Single(then.Node, n => n.OpType == "MatMulNBits");
        Assert.Equal(2 * D, fused.Attribute.Single(a => a.Name == "N").I);
        Assert.Single(then.Node, n => n.OpType == "Split");
        // W_shared is read by the else branch and the loop body: one packed copy, in the main graph where both see it.
        var shared = Assert.Single(model.Graph.Initializer, t => t.Name.StartsWith("W_shared_Q4"));
        var readers = new[] { otherwise, body }.Select(g => Assert.Single(g.Node, n => n.OpType == "MatMulNBits")).ToList();
        Assert.All(readers, n => Assert.Equal(shared.Name, n.Input[1]));
        // The else branch's bias Add moved into the operator, reading the captured bias.
        Assert.Equal("b_shared", readers[0].Input[5]);
        Assert.DoesNotContain(otherwise.Node, n => n.OpType == "Add");
        // The branch's own weights stay in the branch, packed; the float weights are gone everywhere.
        Assert.Contains(then.Initializer, t => t.Name == fused.Input[1]);
        Assert.DoesNotContain(then.Node, n => n.OpType == "Constant");
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name is "W_shared" or "W_main");
        Assert.DoesNotContain(then.Initializer, t => t.Name == "W_inner");

        AssertValidAndClose(fp32, model, 0.99, output);
    }

    [Fact]
    public void Coded_nf4_dequantizes_a_captured_weight_once_in_the_graph_that_defines_it()
    {
        var fp32 = MatMuls();
        var result = CodedWeightQuantizer.Quantize(OnnxModel.FromProto(fp32), RecipeResolver.Resolve(new Recipe
        {
            Preset = "w4-rtn", Format = "qdq", Weights = new WeightSpec { Type = "nf4", Granularity = "per-group", GroupSize = 32 },
        }));

        Assert.Equal(ExpectedReports.Order(), result.Nodes.Select(n => n.Name).Order());
        var model = result.Model;
        var otherwise = Subgraph(model, "branch", "else_branch");
        var body = Subgraph(model, "repeat", "body");
        // The else branch and the loop body read one W' computed in the main graph (outside the loop), not one each.
        Assert.Single(model.Graph.Initializer, t => t.Name.StartsWith("W_shared_codes"));
        var rebuilt = otherwise.Node.Single(n => n.OpType == "MatMul").Input[1];
        Assert.Equal(rebuilt, body.Node.Single(n => n.OpType == "MatMul").Input[1]);
        Assert.Contains(model.Graph.Node, n => n.Output.Contains(rebuilt));
        Assert.DoesNotContain(body.Node, n => n.OpType is "Gather" or "Reshape");
        Assert.Equal(2, Subgraph(model, "branch", "then_branch").Node.Count(n => n.OpType == "Gather"));

        AssertValidAndClose(fp32, model, 0.99, output);
    }

    [Fact]
    public void A_weight_of_a_loop_body_read_by_both_branches_of_an_inner_If_is_stored_once_in_the_body()
    {
        var fp32 = MatMuls();
        // Loop body: v_out = v_in + x W_shared + If(cond_in, x W_body, x W_body + x W_body), W_body a body Constant.
        var body = Subgraph(fp32, "repeat", "body");
        body.Node.Single(n => n.Name == "accumulate").Output[0] = "v_partial";
        body.Node.Add(ModelBuilder.Node("Constant", "w_body", [], ["W_body"]));
        body.Node[^1].Attribute.Add(Attributes.Tensor("value",
            TensorData.Create<float>("W_body", TestData.Gaussian(D * D, 0.05f, seed: 12), [D, D])));
        var inner = ModelBuilder.Node("If", "inner", ["cond_in"], ["z"]);
        var once = new GraphProto { Name = "once" };
        once.Output.Add(ModelBuilder.Tensor("z_once", (int)DT.Float, 2, D));
        once.Node.Add(ModelBuilder.Node("MatMul", "mm_body", ["x", "W_body"], ["z_once"]));
        var twice = new GraphProto { Name = "twice" };
        twice.Output.Add(ModelBuilder.Tensor("z_twice", (int)DT.Float, 2, D));
        twice.Node.Add(ModelBuilder.Node("MatMul", "mm_body", ["x", "W_body"], ["z_half"]));
        twice.Node.Add(ModelBuilder.Node("Add", "double", ["z_half", "z_half"], ["z_twice"]));
        inner.Attribute.Add(Attributes.Graph("then_branch", once));
        inner.Attribute.Add(Attributes.Graph("else_branch", twice));
        body.Node.Add(inner);
        body.Node.Add(ModelBuilder.Node("Add", "add_inner", ["v_partial", "z"], ["v_out"]));

        var result = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32), RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn" }));

        Assert.Contains(result.Nodes, n => n.Name == "repeat/body/inner/then_branch/mm_body");
        Assert.Contains(result.Nodes, n => n.Name == "repeat/body/inner/else_branch/mm_body");
        var quantizedBody = Subgraph(result.Model, "repeat", "body");
        var packed = Assert.Single(quantizedBody.Initializer, t => t.Name.StartsWith("W_body_Q4"));
        Assert.DoesNotContain(result.Model.Graph.Initializer, t => t.Name.StartsWith("W_body"));
        foreach (var branch in new[] { "then_branch", "else_branch" })
            Assert.Equal(packed.Name, Subgraph(result.Model, "inner", branch).Node.Single(n => n.OpType == "MatMulNBits").Input[1]);
        Assert.DoesNotContain(quantizedBody.Node, n => n.OpType == "Constant");
        AssertValidAndClose(fp32, result.Model, 0.99, output);
    }

    [Fact]
    public void A_name_a_subgraph_defines_itself_hides_the_outer_weight()
    {
        var fp32 = MatMuls();
        // The loop body now computes its own "W_main" (a non-constant), which hides the main graph's initializer.
        var body = Subgraph(fp32, "repeat", "body");
        body.Node.Add(ModelBuilder.Node("Add", "not_a_weight", ["v_in", "v_in"], ["W_main"]));
        body.Node.Add(ModelBuilder.Node("MatMul", "mm_hidden", ["x", "W_main"], ["e"]));

        var result = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32), RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn" }));
        Assert.DoesNotContain(result.Nodes, n => n.Name.EndsWith("mm_hidden", StringComparison.Ordinal));
        Assert.Contains(result.Nodes, n => n.Name == "mm_main");
    }
}
