using Qaas.Quantization.Evaluation;
using Qaas.Runtime;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Evaluation;

public class ClassScoresTests
{
    private static ValueMetadata Declared(params long[] shape) =>
        new("y", OnnxValueKind.Tensor, TensorElementType.Float, shape, shape.Select(_ => "").ToList(), true);

    [Fact]
    public void Rank_two_and_fixed_last_axis_of_rank_three_are_class_scores()
    {
        Assert.Equal(10, ClassScores.Classes(Declared(-1, 10), [4, 10]));
        Assert.Null(ClassScores.Classes(Declared(-1, 1), [4, 1]));
        Assert.Equal(512, ClassScores.Classes(Declared(-1, -1, 512), [1, 8, 512]));
        Assert.Null(ClassScores.Classes(Declared(-1, -1, -1), [1, 8, 512])); // last axis not fixed: could be anything
        Assert.Null(ClassScores.Classes(Declared(1, 1, 64, 64), [1, 1, 64, 64]));
        Assert.Null(ClassScores.Classes(Declared(8), [8]));
    }
}
