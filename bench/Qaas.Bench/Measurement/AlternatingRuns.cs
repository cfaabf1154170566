using System.Diagnostics;

namespace Qaas.Bench.Measurement;

/// <summary>
/// Times two actions in alternation (a, b, a, b, ...) after a warm-up, so both see the same machine state; the ratio
/// is the median of per-pair ratios, which a noisy shared machine disturbs far less than a ratio of medians.
/// </summary>
public static class AlternatingRuns
{
    /// <returns>Median milliseconds of each, and the median of a/b over the pairs.</returns>
    public static (double AMs, double BMs, double Ratio) Measure(Action a, Action b, int warmUp, int pairs)
    {
        var timesA = new List<double>();
        var timesB = new List<double>();
        for (var i = -warmUp; i < pairs; i++)
        {
            double x = Milliseconds(a), y = Milliseconds(b);
            if (i < 0) continue;
            timesA.Add(x);
            timesB.Add(y);
        }
        return (Stats.Median(timesA), Stats.Median(timesB), Stats.Median(timesA.Zip(timesB, (x, y) => x / y)));
    }

    public static double Milliseconds(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalMilliseconds;
    }
}
