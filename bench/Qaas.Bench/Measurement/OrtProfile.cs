using System.Text.Json;

namespace Qaas.Bench.Measurement;

/// <summary>Reads ORT's profile (Chrome-trace JSON of "Node" events named "{node}_kernel_time", op type in args.op_name).</summary>
public static class OrtProfile
{
    /// <summary>Microseconds of kernel time per group (<paramref name="groupOf"/>(op type, node name)), summed over all
    /// runs but each node's first (warm-up) one.</summary>
    public static Dictionary<string, double> KernelMicroseconds(string path, Func<string, string, string> groupOf)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var seen = new HashSet<string>();
        var groups = new Dictionary<string, double>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("cat", out var cat) || cat.GetString() != "Node") continue;
            var name = e.GetProperty("name").GetString()!;
            const string suffix = "_kernel_time";
            if (!name.EndsWith(suffix, StringComparison.Ordinal) || seen.Add(name)) continue;
            var key = groupOf(e.GetProperty("args").GetProperty("op_name").GetString()!, name[..^suffix.Length]);
            groups[key] = groups.GetValueOrDefault(key) + e.GetProperty("dur").GetDouble();
        }
        return groups;
    }
}
