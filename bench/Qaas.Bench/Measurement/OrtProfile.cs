using System.Text.Json;

namespace Qaas.Bench.Measurement;

/// <summary>Reads ORT's profile (Chrome-trace JSON of "Node" events named "{node}_kernel_time").</summary>
public static class OrtProfile
{
    /// <summary>Microseconds of kernel time per op type, summed over all runs but each node's first (warm-up) run.</summary>
    public static Dictionary<string, double> KernelMicrosecondsByOpType(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var seen = new HashSet<string>();
        var byOp = new Dictionary<string, double>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("cat", out var cat) || cat.GetString() != "Node") continue;
            var name = e.GetProperty("name").GetString()!;
            if (!name.EndsWith("_kernel_time", StringComparison.Ordinal) || seen.Add(name)) continue;
            var op = e.GetProperty("args").GetProperty("op_name").GetString()!;
            if (Environment.GetEnvironmentVariable("QAAS_W4_PROFILE_NODES") == "1" && op.StartsWith("MatMul")) op += ":" + System.Text.RegularExpressions.Regex.Replace(name, @"block\d+\.|_kernel_time", "");
            byOp[op] = byOp.GetValueOrDefault(op) + e.GetProperty("dur").GetDouble();
        }
        return byOp;
    }
}
