namespace Qaas.Onnx.Summary;

/// <summary>
/// A graph input or output as the API shows it. <see cref="Shape"/> holds a long for a fixed dimension,
/// a string for a symbolic one and null for an unknown one; the list itself is null when the rank is unknown.
/// </summary>
public sealed record TensorSpec(string Name, string ElemType, IReadOnlyList<object?>? Shape);
