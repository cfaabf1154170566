using Qaas.Onnx.Io;
using Qaas.Quantization.Transforms.Graph;

namespace Qaas.Quantization.Tests.Static;

public class ConvAffineFolderTests
{
    [Fact]
    public void PP_OCR_det_learnable_affines_fold_into_their_Convs_without_changing_the_output()
    {
        var original = OnnxModel.Load(RepositoryPaths.PpOcrDet).Proto;
        var folded = original.Clone();
        int mulsBefore = original.Graph.Node.Count(n => n.OpType == "Mul");

        int count = ConvAffineFolder.Apply(folded);

        // Each re-parameterized block leaves Conv -> Mul(scale) -> Add(shift); all of them fold.
        Assert.True(count >= 40, $"{count} folded");
        Assert.Equal(mulsBefore - count / 2, folded.Graph.Node.Count(n => n.OpType == "Mul"));
        var input = OcrSamples.Detector(1, 160, seed: 9).Samples().First();
        using var before = new SessionRunner(original);
        using var after = new SessionRunner(folded);
        var expected = before.Run(input);
        var actual = after.Run(input);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f, $"element {i}: {expected[i]} vs {actual[i]}");
    }
}
