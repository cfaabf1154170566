using Qaas.Quantization.Reports;

namespace Qaas.Quantization.Search;

/// <summary>
/// The candidates a search tried, reduced to those no other candidate beats on every axis: smaller weights, higher
/// lowest output SQNR, and higher speedup where it was measured.
/// </summary>
public static class ParetoFront
{
    public static SearchReport Of(IReadOnlyList<SearchPoint> tried, SearchPoint chosen, bool predicted = false)
    {
        var front = tried.Where(p => !tried.Any(q => Dominates(q, p)))
            .Distinct()
            .OrderBy(p => p.SizeRatio).ThenByDescending(p => p.MinSqnrDb)
            .ToList();
        return new SearchReport(tried.Count, front, chosen, predicted);
    }

    // q is at least as good as p everywhere and better somewhere.
    private static bool Dominates(SearchPoint q, SearchPoint p)
    {
        bool speedKnown = q.Speedup is not null && p.Speedup is not null;
        bool noWorse = q.SizeRatio <= p.SizeRatio && q.MinSqnrDb >= p.MinSqnrDb && (!speedKnown || q.Speedup >= p.Speedup);
        bool better = q.SizeRatio < p.SizeRatio || q.MinSqnrDb > p.MinSqnrDb || speedKnown && q.Speedup > p.Speedup;
        return noWorse && better;
    }
}
