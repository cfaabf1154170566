using Qaas.Bench.Benchmarks;

namespace Qaas.Bench;

public static class Program
{
    private static readonly IBenchmark[] All =
    [
        new OnnxIoBenchmark(),
        new OrtOverheadBenchmark(),
        new CaptureBenchmark(),
        new RtnBenchmark(),
        new GptqBenchmark(),
        new CalibrationBenchmark(),
        new TransformerW4Benchmark(),
        new DetInt8Benchmark(),
        new ClsInt8Benchmark(),
        new ApiBenchmark(),
    ];

    /// <summary>Run only when named: too heavy on disk and time for "all".</summary>
    private static readonly IBenchmark[] OptIn = [OnnxIoBenchmark.Large()];

    public static async Task<int> Main(string[] args)
    {
        var name = args.FirstOrDefault();
        var chosen = name == "all" ? All : All.Concat(OptIn).Where(b => b.Name == name).ToArray();
        if (chosen.Length == 0)
        {
            Console.Error.WriteLine($"usage: dotnet run -c Release --project bench/Qaas.Bench -- <{string.Join('|', All.Concat(OptIn).Select(b => b.Name))}|all>");
            return 2;
        }
        var missed = 0;
        foreach (var b in chosen)
        {
            var report = await b.RunAsync();
            report.Print(Console.Out);
            missed += report.Misses;
        }
        // Exit code 0 either way: these are measurements on a shared machine, not a gate.
        Console.WriteLine(missed == 0 ? "all targets met" : $"{missed} target(s) missed");
        return 0;
    }
}
