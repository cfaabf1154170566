namespace Qaas.Quantization.Reports;

/// <summary>report.json: what was done to the model and how close the result stays (DESIGN.md "Report").</summary>
public sealed record QuantizationReport
{
    public required ModelStats Original { get; init; }
    public ModelStats? Quantized { get; init; }
    public double? CompressionRatio { get; init; }
    public Dictionary<string, OutputFidelity> Outputs { get; init; } = [];
    public LatencyReport? Latency { get; init; }
    public List<NodeReport> Nodes { get; init; } = [];
    public SearchReport? Search { get; init; }
    public required Provenance Provenance { get; init; }
    public List<string> Warnings { get; init; } = [];
    public List<StageTiming> Stages { get; init; } = [];
    public Verdict? Verdict { get; init; }
    /// <summary>The resolved recipe the job ran, as a JSON object.</summary>
    public required System.Text.Json.JsonElement Recipe { get; init; }
}

public sealed record ModelStats(long SizeBytes, long ParameterCount, IReadOnlyDictionary<string, int> OpCounts);

public sealed record OutputFidelity
{
    public double SqnrDb { get; init; }
    public double Cosine { get; init; }
    public double MaxAbsError { get; init; }
    public double MeanAbsError { get; init; }
    public double? Top1Agreement { get; init; }
    public double? Accuracy { get; init; }
    public double? ReferenceAccuracy { get; init; }
    /// <summary>Values where the models disagree about being finite (NaN/±inf in one and not the same in the other);
    /// when non-zero, SQNR and cosine are reported at their worst. Null (and left out of JSON) when there were none.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? NonFiniteValues { get; init; }
}

public sealed record LatencyStats(double P50Ms, double P90Ms, double P99Ms);

public sealed record LatencyReport(
    LatencyStats Original, LatencyStats Quantized, double Speedup, int Threads, string ExecutionProvider,
    IReadOnlyDictionary<string, long[]> InputShapes, int Repeats);

public sealed record NodeReport(string Name, string OpType, string Type, int Bits, double? Sensitivity, double? ErrorContribution);

/// <param name="Predicted">True when the points are the search's predictions (per-layer noise added up, sizes from the
/// packed byte counts) rather than candidates it quantized and ran.</param>
public sealed record SearchReport(int CandidatesTried, IReadOnlyList<SearchPoint> ParetoFront, SearchPoint Chosen, bool Predicted = false);

public sealed record SearchPoint(double SizeRatio, double? Speedup, double MinSqnrDb);

public sealed record Provenance(
    string ModelSha256, string RecipeSha256, string? CalibrationDatasetSha256, string? EvaluationDatasetSha256,
    string ToolVersion, string OrtVersion);

public sealed record StageTiming(string Stage, double Seconds);

/// <summary>The recipe's acceptance limits checked against the measured metrics.</summary>
public sealed record Verdict(bool Passed, IReadOnlyList<VerdictCheck> Checks);

public sealed record VerdictCheck(string Metric, double Limit, double? Actual, bool Passed);
