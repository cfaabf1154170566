namespace Qaas.Runtime.Tensors;

/// <summary>A tensor bound to a graph input or output name.</summary>
public sealed record NamedTensor(string Name, Tensor Tensor);
