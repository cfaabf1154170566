using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Transforms.Graph;

namespace Qaas.Quantization.Tests.Static;

public class MulRewriteTests
{
    [Fact]
    public void PP_OCR_det_hard_swish_divisions_and_their_scales_become_one_Mul_without_changing_the_output()
    {
        var original = OnnxModel.Load(RepositoryPaths.PpOcrDet).Proto;
        var rewritten = original.Clone();
        var editor = new GraphEditor(rewritten);
        editor.PromoteConstantsToInitializers();
        int divs = rewritten.Graph.Node.Count(n => n.OpType == "Div");
        int muls = rewritten.Graph.Node.Count(n => n.OpType == "Mul");

        int reciprocals = ReciprocalDivision.Apply(editor, rewritten.Graph.Node.ToList());
        var merged = ScalarMulChain.Apply(editor, rewritten.Graph.Node.ToList());

        // Every hard-swish "/ 6" becomes "* (1/6)" and merges with the learnable scale that follows it.
        Assert.Equal(24, divs);
        Assert.Equal(divs, reciprocals);
        Assert.Equal(divs, merged.Count);
        Assert.DoesNotContain(rewritten.Graph.Node, n => n.OpType == "Div");
        Assert.Equal(muls, rewritten.Graph.Node.Count(n => n.OpType == "Mul"));
        AssertSameDetectorOutput(original, rewritten);
    }

    [Fact]
    public void PP_OCR_det_hard_swish_scales_and_shifts_fold_into_the_next_Conv_without_changing_the_output()
    {
        var original = OnnxModel.Load(RepositoryPaths.PpOcrDet).Proto;
        var rewritten = original.Clone();
        var editor = new GraphEditor(rewritten);
        editor.PromoteConstantsToInitializers();
        ReciprocalDivision.Apply(editor, rewritten.Graph.Node.ToList());
        ScalarMulChain.Apply(editor, rewritten.Graph.Node.ToList());
        int muls = rewritten.Graph.Node.Count(n => n.OpType == "Mul");

        var removed = ConvInputScaleFolder.Apply(editor, rewritten.Graph.Node.ToList());

        Assert.True(removed.Count(n => n.OpType == "Mul") >= 20, $"{removed.Count} removed");
        Assert.Equal(muls - removed.Count(n => n.OpType == "Mul"), rewritten.Graph.Node.Count(n => n.OpType == "Mul"));
        AssertSameDetectorOutput(original, rewritten);
    }

    [Fact]
    public void A_division_by_a_computed_tensor_or_by_zero_stays()
    {
        var graph = new Onnx.Proto.GraphProto();
        graph.Initializer.Add(TensorData.Create<float>("zero", [0f], []));
        graph.Node.Add(ModelBuilder.Node("Div", "by_tensor", ["x", "y"], ["a"]));
        graph.Node.Add(ModelBuilder.Node("Div", "by_zero", ["a", "zero"], ["b"]));
        var model = new Onnx.Proto.ModelProto { Graph = graph };

        Assert.Equal(0, ReciprocalDivision.Apply(new GraphEditor(model), graph.Node.ToList()));
        Assert.All(graph.Node, n => Assert.Equal("Div", n.OpType));
    }

    /// <summary>Both models give the same detection map, within 1e-4 per element, on one rendered page.</summary>
    private static void AssertSameDetectorOutput(Onnx.Proto.ModelProto original, Onnx.Proto.ModelProto rewritten)
    {
        var input = OcrSamples.Detector(1, 160, seed: 9).Samples().First();
        using var before = new SessionRunner(original);
        using var after = new SessionRunner(rewritten);
        var expected = before.Run(input);
        var actual = after.Run(input);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f, $"element {i}: {expected[i]} vs {actual[i]}");
    }
}
