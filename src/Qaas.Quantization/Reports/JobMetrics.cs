namespace Qaas.Quantization.Reports;

/// <summary>The summary a CI pipeline gates on: the job resource's <c>metrics</c>.</summary>
public sealed record JobMetrics(
    double? CompressionRatio, double? Speedup, double? MinSqnrDb, double? MinCosine,
    double? Top1Agreement, double? AccuracyDrop, bool? Passed)
{
    public static JobMetrics From(QuantizationReport r)
    {
        double? minSqnr = r.Outputs.Count == 0 ? null : r.Outputs.Values.Min(o => o.SqnrDb);
        double? minCos = r.Outputs.Count == 0 ? null : r.Outputs.Values.Min(o => o.Cosine);
        var top1 = r.Outputs.Values.Where(o => o.Top1Agreement is not null).Select(o => o.Top1Agreement!.Value).DefaultIfEmpty(double.NaN).Min();
        var drops = r.Outputs.Values.Where(o => o.Accuracy is not null && o.ReferenceAccuracy is not null)
            .Select(o => o.ReferenceAccuracy!.Value - o.Accuracy!.Value).DefaultIfEmpty(double.NaN).Max();
        return new JobMetrics(r.CompressionRatio, r.Latency?.Speedup, minSqnr, minCos,
            double.IsNaN(top1) ? null : top1, double.IsNaN(drops) ? null : drops, r.Verdict?.Passed);
    }
}
