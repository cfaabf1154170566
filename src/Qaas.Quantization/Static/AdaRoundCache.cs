namespace Qaas.Quantization.Static;

/// <summary>
/// What AdaRound found in one static quantization, for repeated runs over the same model (a precision search):
/// each treated node's input moments (by report name) and each rounded weight's values with the scales and zero
/// points they were chosen for (by weight name).
/// </summary>
public sealed class AdaRoundCache
{
    public Dictionary<string, float[][]> Moments { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Rounding> Rounded { get; } = new(StringComparer.Ordinal);

    /// <summary>Stored values (one byte per element) and the parameters they belong to.</summary>
    public sealed record Rounding(float[] Scales, int[] ZeroPoints, byte[] Values);
}
