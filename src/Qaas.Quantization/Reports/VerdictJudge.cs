using Qaas.Quantization.Recipes;

namespace Qaas.Quantization.Reports;

/// <summary>Turns a recipe's <c>acceptance</c> limits and the measured metrics into a verdict.</summary>
public static class VerdictJudge
{
    public static Verdict? Judge(AcceptanceSpec? acceptance, JobMetrics m)
    {
        if (acceptance is null) return null;
        var checks = new List<VerdictCheck>();
        void AtLeast(string metric, double? limit, double? actual)
        {
            if (limit is { } l) checks.Add(new VerdictCheck(metric, l, actual, actual is { } a && a >= l));
        }
        AtLeast("minSqnrDb", acceptance.MinSqnrDb, m.MinSqnrDb);
        AtLeast("minCosine", acceptance.MinCosine, m.MinCosine);
        AtLeast("minSpeedup", acceptance.MinSpeedup, m.Speedup);
        if (acceptance.MaxAccuracyDrop is { } maxDrop)
            checks.Add(new VerdictCheck("maxAccuracyDrop", maxDrop, m.AccuracyDrop, m.AccuracyDrop is { } d && d <= maxDrop));
        return new Verdict(checks.All(c => c.Passed), checks);
    }
}
