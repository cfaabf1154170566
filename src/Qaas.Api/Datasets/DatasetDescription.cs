namespace Qaas.Api.Datasets;

/// <summary>What a dataset holds: its format, the number of samples and each array's full shape (first axis = samples) and dtype.</summary>
public sealed record DatasetDescription(string Format, int Samples, IReadOnlyList<DatasetArray> Arrays);

public sealed record DatasetArray(string Name, IReadOnlyList<long> Shape, string DType);
