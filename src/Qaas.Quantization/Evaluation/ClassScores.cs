using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Evaluation;

/// <summary>
/// When an output is read as class scores (top-1 agreement, accuracy): rank 2 [N, C] with C >= 2, or rank 3
/// [N, T, C] (per-position logits: language-model heads, CTC) whose last dimension is fixed in the model's declared
/// shape and >= 2. Rank 4 and above (feature and probability maps) never are: their class axis, if any, is not last.
/// Returns the class count, or null.
/// </summary>
public static class ClassScores
{
    public static int? Classes(ValueMetadata declared, IReadOnlyList<long> actual)
    {
        if (actual.Count is not (2 or 3) || actual[^1] < 2 || actual[^1] > int.MaxValue) return null;
        if (actual.Count == 3 && !(declared.HasShape && declared.Shape.Count == 3 && declared.Shape[2] == actual[2]))
            return null;
        return (int)actual[^1];
    }
}
