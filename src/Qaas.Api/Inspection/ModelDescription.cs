namespace Qaas.Api.Inspection;

/// <summary>What the service tells about a model: returned on upload and stored (jsonb) with the model.</summary>
public sealed record ModelDescription(
    long IrVersion,
    IReadOnlyDictionary<string, long> Opsets,
    IReadOnlyList<TensorSpec> Inputs,
    IReadOnlyList<TensorSpec> Outputs,
    long ParameterCount,
    IReadOnlyDictionary<string, int> OpCounts);

/// <summary>A graph input or output. Shape entries are numbers or symbolic names (null when unknown).</summary>
public sealed record TensorSpec(string Name, string ElemType, IReadOnlyList<object?> Shape);
