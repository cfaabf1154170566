using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Sessions;

/// <summary>A graph input or output as the session sees it. <see cref="Shape"/> has -1 for dynamic dimensions, whose
/// names (e.g. "batch") are in <see cref="SymbolicDimensions"/> ("" when unnamed). Non-tensors have
/// <see cref="TensorElementType.Undefined"/> and an empty shape.</summary>
public sealed record ValueMetadata(
    string Name,
    OnnxValueKind Kind,
    TensorElementType ElementType,
    IReadOnlyList<long> Shape,
    IReadOnlyList<string> SymbolicDimensions,
    bool HasShape)
{
    public bool IsTensor => Kind == OnnxValueKind.Tensor;

    public override string ToString() =>
        $"{Name}: {ElementType}[{string.Join(",", Shape.Select((d, i) => d >= 0 ? d.ToString() : SymbolicDimensions[i] is { Length: > 0 } s ? s : "?"))}]";
}
