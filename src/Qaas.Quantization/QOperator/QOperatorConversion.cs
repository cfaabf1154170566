namespace Qaas.Quantization.QOperator;

/// <summary>What <see cref="QdqToQOperator.Convert"/> did.</summary>
/// <param name="Created">QLinear op type (QLinearConv, QGemm, ...) -> how many were written.</param>
/// <param name="Kept">QDQ patterns left as they are: node name and why.</param>
public sealed record QOperatorConversion(IReadOnlyDictionary<string, int> Created, IReadOnlyList<(string Node, string Reason)> Kept)
{
    public int Total => Created.Values.Sum();

    /// <summary>"53 QLinearConv, 1 QLinearMatMul" for reports.</summary>
    public string Summary => Total == 0 ? "no QLinear node" : string.Join(", ", Created.Select(kv => $"{kv.Value} {kv.Key}"));
}
