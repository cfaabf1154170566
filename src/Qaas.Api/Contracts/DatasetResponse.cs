using Qaas.Quantization.Datasets;

namespace Qaas.Api.Contracts;

public sealed record DatasetResponse(Guid Id, string Name, string Sha256, long SizeBytes, string Format, int Samples,
    IReadOnlyList<DatasetArray> Arrays, DateTimeOffset CreatedAt);
