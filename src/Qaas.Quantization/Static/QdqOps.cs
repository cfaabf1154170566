namespace Qaas.Quantization.Static;

/// <summary>The ops this quantizer places Q/DQ around, by role, and which of their inputs carry activations.</summary>
public static class QdqOps
{
    private static readonly Dictionary<string, QdqRole> Roles = new(StringComparer.Ordinal)
    {
        ["Conv"] = QdqRole.Weighted, ["MatMul"] = QdqRole.Weighted, ["Gemm"] = QdqRole.Weighted,
        ["Add"] = QdqRole.Elementwise, ["Mul"] = QdqRole.Elementwise, ["Concat"] = QdqRole.Elementwise,
        ["Sigmoid"] = QdqRole.Elementwise, ["LeakyRelu"] = QdqRole.Elementwise,
        ["AveragePool"] = QdqRole.Elementwise, ["GlobalAveragePool"] = QdqRole.Elementwise,
        ["MaxPool"] = QdqRole.SharedParams, ["Resize"] = QdqRole.SharedParams, ["DepthToSpace"] = QdqRole.SharedParams,
    };

    /// <summary>Every op type with a role, in a stable order (the int8-static preset's default selection).</summary>
    public static IReadOnlyList<string> All { get; } =
        ["Conv", "MatMul", "Gemm", "Add", "Mul", "Div", "Concat", "Sigmoid", "LeakyRelu", "AveragePool", "GlobalAveragePool", "MaxPool", "Resize", "DepthToSpace", "ConvTranspose"];

    public static QdqRole? RoleOf(string opType) => Roles.TryGetValue(opType, out var r) ? r : null;

    /// <summary>Selectable op types: those with a role, Div, which becomes a Mul when its divisor is a constant
    /// (<see cref="Transforms.Graph.ReciprocalDivision"/>), and ConvTranspose, which becomes a Conv and a DepthToSpace
    /// when its kernel equals its stride (<see cref="Transforms.Graph.ConvTransposeAsConv"/>).</summary>
    public static bool IsSelectable(string opType) => RoleOf(opType) is not null || opType is "Div" or "ConvTranspose";

    /// <summary>Input indexes that carry data (not Resize's roi/scales/sizes); null = every input.</summary>
    public static int[]? DataInputs(string opType) => opType switch
    {
        "Add" or "Mul" or "Concat" => null,
        _ => [0],
    };
}
