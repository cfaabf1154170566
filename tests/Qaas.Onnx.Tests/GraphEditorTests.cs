using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Onnx.Summary;

namespace Qaas.Onnx.Tests;

/// <summary>Rewrite primitives leave models that still validate and round-trip.</summary>
public class GraphEditorTests
{
    private static OnnxModel ValidRoundTrip(ModelProto m)
    {
        var model = OnnxModel.FromProto(m);
        var ms = new MemoryStream();
        model.Save(ms);
        var back = OnnxModel.Load(new MemoryStream(ms.ToArray()));
        Assert.True(back.Proto.Equals(m));
        return back;
    }

    [Fact]
    public void Inserting_a_node_after_a_tensor_and_rewiring_its_uses()
    {
        var m = ModelBuilder.Mlp();
        var editor = new GraphEditor(m);
        // Insert Identity after xw: mm -> xw -> id -> xw_id -> add.
        var newName = editor.Names.Fresh("xw");
        Assert.Equal("xw_1", newName);
        var id = editor.AddNode("Identity", ["xw"], [newName], name: "mm");
        Assert.Equal("mm_1", id.Name); // "mm" is taken
        Assert.Equal(1, editor.ReplaceAllUses("xw", newName, except: id));
        Assert.Equal(newName, m.Graph.Node.Single(n => n.Name == "add").Input[0]);
        editor.SortTopologically();
        Assert.Equal(["mm", "mm_1", "add", "relu"], m.Graph.Node.Select(n => n.Name));
        ValidRoundTrip(m);
    }

    [Fact]
    public void Replacing_a_graph_output_and_subgraph_references()
    {
        var m = ModelBuilder.Mlp();
        var branch = new GraphProto { Name = "then" };
        branch.Node.Add(ModelBuilder.Node("Identity", "inner", ["z"], ["t_out"]));
        branch.Output.Add(ModelBuilder.Tensor("t_out", 1, "batch", 3));
        var ifNode = ModelBuilder.Node("If", "if", ["cond"], ["if_out"]);
        ifNode.Attribute.Add(Attributes.Graph("then_branch", branch));
        ifNode.Attribute.Add(Attributes.Graph("else_branch", branch.Clone()));
        m.Graph.Input.Add(ModelBuilder.Tensor("cond", (int)TensorProto.Types.DataType.Bool));
        m.Graph.Node.Add(ifNode);
        m.Graph.Output.Add(ModelBuilder.Tensor("if_out", 1, "batch", 3));
        ValidRoundTrip(m);

        var view = new GraphView(m.Graph);
        Assert.Contains("z", view.ImplicitInputsOf(ifNode));
        Assert.Contains(ifNode, view.ConsumersOf("z"));

        var editor = new GraphEditor(m);
        var clip = editor.AddNode("Relu", ["z"], ["z_relu"]);
        // relu (graph output y) + both branches read z.
        Assert.Equal(3, editor.ReplaceAllUses("z", "z_relu", except: clip));
        Assert.All(ifNode.Attribute, a => Assert.Equal("z_relu", a.G.Node[0].Input[0]));
        Assert.Equal(1, editor.ReplaceAllUses("y", "y2")); // the graph output entry
        m.Graph.Node.Single(n => n.Name == "relu").Output[0] = "y2";
        editor.SortTopologically();
        ValidRoundTrip(m);
        Assert.Equal(5, ModelSummary.Of(m).OpCounts.Values.Sum() - 2); // 5 main-graph nodes + 2 Identity in branches
    }

    [Fact]
    public void Dead_nodes_unused_initializers_and_stale_value_info_are_removed()
    {
        var m = ModelBuilder.Mlp();
        var editor = new GraphEditor(m);
        editor.AddInitializer(TensorData.Create<float>("unused", new[] { 1f }, [1]));
        editor.AddNode("Neg", ["xw"], ["dead1"]);
        editor.AddNode("Abs", ["dead1"], ["dead2"]);
        // Bypass Add: relu reads xw directly, so add (and then b) become dead.
        m.Graph.Node.Single(n => n.Name == "relu").Input[0] = "xw";
        m.Graph.ValueInfo.Add(ModelBuilder.Tensor("z", 1, "batch", 3));

        Assert.Equal(3, editor.RemoveDeadNodes()); // add, Neg, Abs
        Assert.Equal(2, editor.RemoveUnusedInitializers()); // b, unused
        Assert.Equal(1, editor.DropStaleValueInfo()); // z (xw is still produced)
        Assert.Equal(["mm", "relu"], m.Graph.Node.Select(n => n.Name));
        Assert.Equal(["W"], m.Graph.Initializer.Select(t => t.Name));
        ValidRoundTrip(m);
    }

    [Fact]
    public void Opset_imports_are_added_and_raised_with_the_ir_version()
    {
        var m = ModelBuilder.Mlp();
        var editor = new GraphEditor(m);
        Assert.Equal(21, editor.EnsureOpset("", 21));
        Assert.Equal(10, m.IrVersion);
        Assert.Equal(21, editor.EnsureOpset("ai.onnx", 13)); // never lowered
        Assert.Equal(1, editor.EnsureOpset("com.microsoft", 1));
        var opsets = Opsets.Of(m);
        Assert.Equal(21, opsets[""]);
        Assert.Equal(1, opsets["com.microsoft"]);
        Assert.Equal(2, m.OpsetImport.Count);
        ValidRoundTrip(m);
    }

    [Fact]
    public void PpOcr_constants_promote_to_initializers_keeping_the_parameter_count()
    {
        var model = OnnxModel.Load(TestAssets.PpOcrCls);
        var before = ModelSummary.Of(model);
        var constants = model.Graph.Node.Count(ConstantNode.Is);
        var promoted = new GraphEditor(model.Proto).PromoteConstantsToInitializers();
        Assert.Equal(constants, promoted + model.Graph.Node.Count(ConstantNode.Is));
        Assert.True(promoted > 0);
        var after = ModelSummary.Of(ValidRoundTrip(model.Proto));
        Assert.Equal(before.ParameterCount, after.ParameterCount);
        // Every Constant of this model holds a tensor, so none is left as a node.
        Assert.Equal(constants, promoted);
        Assert.DoesNotContain("Constant", after.OpCounts.Keys);
        Assert.All(ModelWeights.All(model.Graph).Where(w => w.Source == WeightSource.Initializer),
            w => Assert.NotEmpty(new GraphView(model.Graph).ConsumersOf(w.Name)));
    }

    [Fact]
    public void Loop_and_scan_bodies_are_walked()
    {
        var model = OnnxModel.Load(Path.Combine(TestAssets.OnnxTestData, "node", "test_loop11", "model.onnx"));
        var loop = model.Graph.Node.Single(n => n.OpType == "Loop");
        var body = Assert.Single(Subgraphs.Of(loop));
        Assert.Equal("body", body.Attribute.Name);
        Assert.Equal(2, Subgraphs.All(model.Graph).Count());
        var summary = ModelSummary.Of(model);
        Assert.True(summary.OpCounts.Values.Sum() > model.Graph.Node.Count);
        Assert.True(new GraphView(model.Graph).ImplicitInputsOf(loop).SetEquals(Subgraphs.FreeNames(body.Graph)));
    }

    [Fact]
    public void Outer_scope_names_read_by_subgraphs_are_implicit_inputs()
    {
        var capturing = 0;
        foreach (var path in Directory.EnumerateFiles(TestAssets.OnnxTestData, "model.onnx", SearchOption.AllDirectories))
        {
            var model = OnnxModel.Load(path);
            var view = new GraphView(model.Graph);
            foreach (var n in model.Graph.Node)
            {
                var free = Subgraphs.Of(n).SelectMany(s => Subgraphs.FreeNames(s.Graph)).ToHashSet();
                if (free.Count == 0) continue;
                capturing++;
                Assert.True(view.ImplicitInputsOf(n).SetEquals(free));
                var position = NodePositions.Of(view.TopologicalOrder());
                foreach (var name in free)
                    if (view.ProducerOf(name) is { } producer)
                        Assert.True(position[producer] < position[n], $"{path}: {name}");
            }
        }
        Assert.True(capturing > 5, $"only {capturing} nodes capture outer names");
    }
}
