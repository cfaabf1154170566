using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Evaluation;

/// <summary>
/// One model input as the synthesizer needs it: element type and declared dimensions, each either fixed
/// (<c>Size</c> set) or symbolic (<c>Size</c> null, <c>Symbol</c> its name or "" when unnamed).
/// <see cref="Dims"/> is null when the rank is unknown.
/// </summary>
public sealed record SynthesisInput(string Name, TensorElementType ElementType, IReadOnlyList<SynthesisDim>? Dims)
{
    /// <summary>Upper bound (exclusive) for integer token-like values; null when unknown.</summary>
    public long? Vocabulary { get; init; }
}

public readonly record struct SynthesisDim(long? Size, string Symbol);
