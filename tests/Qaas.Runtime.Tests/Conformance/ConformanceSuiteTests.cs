using System.Collections.Concurrent;
using System.Text;
using Qaas.Runtime.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Qaas.Runtime.Tests.Conformance;

/// <summary>Runs every case of the ONNX backend test data (ONNX 1.12, Debian libonnx-testdata) through the binding and
/// compares with the reference outputs. Writes the counts to .cache/conformance-summary.txt.</summary>
public class ConformanceSuiteTests(ITestOutputHelper output)
{
    private static readonly string[] Suites = ["node", "pytorch-converted", "pytorch-operator", "simple"];

    /// <summary>Measured on ORT 1.30.0 CPU with Debian libonnx-testdata (ONNX 1.12); a drop means the binding broke something.</summary>
    private const int MinimumPassed = 960; // measured 960 of 1072 (26 allow-listed failures, 86 skips)

    /// <summary>The same run's skips (ops or types ORT 1.30 rejects, inputs the binding cannot feed): a case that passed
    /// and now is skipped would otherwise go unnoticed.</summary>
    private const int MaximumSkipped = 86;

    [Fact]
    public void Backend_test_cases_match_their_reference_outputs()
    {
        var results = new ConcurrentBag<CaseResult>();
        Parallel.ForEach(ConformanceCase.Discover(Suites), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            c => results.Add(Run(c)));

        var ordered = results.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        var passed = ordered.Count(r => r.Outcome == CaseOutcome.Passed);
        var failed = ordered.Where(r => r.Outcome == CaseOutcome.Failed).ToList();
        var skipped = ordered.Where(r => r.Outcome == CaseOutcome.Skipped).ToList();
        var unexpected = failed.Where(r => !KnownFailures.Reasons.ContainsKey(r.Name)).ToList();
        var fixedNow = KnownFailures.Reasons.Keys.Where(k => ordered.Any(r => r.Name == k && r.Outcome == CaseOutcome.Passed)).ToList();

        var summary = new StringBuilder()
            .AppendLine($"ONNX backend conformance, ORT {OrtEnvironment.Instance.Version} CPU, suites {string.Join(",", Suites)}")
            .AppendLine($"cases {ordered.Count}: passed {passed}, failed {failed.Count} (allow-listed {failed.Count - unexpected.Count}), skipped {skipped.Count}")
            .AppendLine("skip reasons:");
        foreach (var group in skipped.GroupBy(r => SkipCategory(r.Reason)).OrderByDescending(g => g.Count()))
            summary.AppendLine($"  {group.Count(),4}  {group.Key}");
        summary.AppendLine("failures:");
        foreach (var r in failed)
            summary.AppendLine($"  {r.Name}: {r.Reason}{(KnownFailures.Reasons.TryGetValue(r.Name, out var why) ? $"  [known: {why}]" : "  [UNEXPECTED]")}");
        summary.AppendLine("skipped:");
        foreach (var r in skipped)
            summary.AppendLine($"  {r.Name}: {r.Reason}");

        var text = summary.ToString();
        output.WriteLine(text);
        Directory.CreateDirectory(RepositoryPaths.Cache);
        File.WriteAllText(Path.Combine(RepositoryPaths.Cache, "conformance-summary.txt"), text);

        Assert.True(unexpected.Count == 0, "Unexpected failures:\n" + string.Join("\n", unexpected.Select(r => $"{r.Name}: {r.Reason}")));
        Assert.True(fixedNow.Count == 0, "Allow-listed cases now pass; remove them from KnownFailures: " + string.Join(", ", fixedNow));
        Assert.True(passed >= MinimumPassed, $"Only {passed} cases passed; expected at least {MinimumPassed}.");
        Assert.True(skipped.Count <= MaximumSkipped, $"{skipped.Count} cases skipped, more than the {MaximumSkipped} measured (see the summary).");
    }

    private static CaseResult Run(ConformanceCase c)
    {
        try
        {
            return c.Run();
        }
        catch (Exception e)
        {
            return new CaseResult(c.Name, CaseOutcome.Failed, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    /// <summary>Groups skip reasons by their leading words so the summary stays short.</summary>
    private static string SkipCategory(string reason)
    {
        var colon = reason.IndexOf(':', reason.IndexOf(':') + 1);
        return colon > 0 ? reason[..colon] : reason;
    }
}
