using System.Diagnostics;

namespace Qaas.Bench.Service;

/// <summary>N clients each sending one GET after another for a fixed time; collects every latency.</summary>
public static class LoadGenerator
{
    public sealed record Result(long Requests, long Failures, double Seconds, List<double> LatenciesMs, string? FirstFailure)
    {
        public double RequestsPerSecond => Requests / Seconds;
    }

    public static async Task<Result> RunAsync(HttpClient http, string path, int clients, TimeSpan duration)
    {
        var latencies = new List<double>[clients];
        long failures = 0;
        string? firstFailure = null;
        var stop = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = new List<double>(1 << 14);
            while (stop.Elapsed < duration)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var r = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead);
                    if (!r.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref failures);
                        Interlocked.CompareExchange(ref firstFailure, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}", null);
                        continue;
                    }
                }
                catch (HttpRequestException e)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstFailure, e.Message, null);
                    continue;
                }
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var seconds = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).ToList();
        return new Result(all.Count, failures, seconds, all, firstFailure);
    }
}
