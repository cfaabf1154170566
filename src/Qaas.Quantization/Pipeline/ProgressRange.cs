namespace Qaas.Quantization.Pipeline;

/// <summary>
/// A step's progress (0 to 1) reported as the part [from, from + share] of a longer task's, synchronously:
/// Progress&lt;T&gt; would post each report to the thread pool, where they can arrive out of order.
/// </summary>
public sealed class ProgressRange(IProgress<double> inner, double from, double share) : IProgress<double>
{
    public void Report(double value) => inner.Report(from + value * share);

    /// <summary>Null when there is no progress to report to.</summary>
    public static IProgress<double>? Of(IProgress<double>? inner, double from, double share) =>
        inner is null ? null : new ProgressRange(inner, from, share);
}
