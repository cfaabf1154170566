using Qaas.Bench.Reporting;

namespace Qaas.Bench.Benchmarks;

/// <summary>One named benchmark: measures, then hands back the figures and their targets.</summary>
public interface IBenchmark
{
    string Name { get; }

    Task<BenchReport> RunAsync();
}
