using Qaas.Onnx.Summary;
using Qaas.Api.Inspection;

namespace Qaas.Api.Contracts;

public sealed record ModelResponse(
    Guid Id, string Name, string Sha256, long SizeBytes,
    long IrVersion, IReadOnlyDictionary<string, long> Opsets,
    IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs,
    long ParameterCount, IReadOnlyDictionary<string, int> OpCounts,
    IReadOnlyList<ModelFileResponse> Files,
    Guid? ParentModelId, Guid? JobId, DateTimeOffset CreatedAt);

public sealed record ModelFileResponse(string Name, string Sha256, long SizeBytes);
