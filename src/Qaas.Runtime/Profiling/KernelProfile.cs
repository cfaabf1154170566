using System.Text.Json;

namespace Qaas.Runtime.Profiling;

/// <summary>Reads ORT's profile (Chrome-trace JSON of "Node" events named "{node}_kernel_time", op type in args.op_name).</summary>
public static class KernelProfile
{
    /// <summary>Every node's op type and kernel times in microseconds, in run order.</summary>
    public static Dictionary<string, (string Op, List<double> Microseconds)> Kernels(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var nodes = new Dictionary<string, (string Op, List<double> Microseconds)>(StringComparer.Ordinal);
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("cat", out var cat) || cat.GetString() != "Node") continue;
            var name = e.GetProperty("name").GetString()!;
            const string suffix = "_kernel_time";
            if (!name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var node = name[..^suffix.Length];
            if (!nodes.TryGetValue(node, out var entry))
                nodes[node] = entry = (e.GetProperty("args").GetProperty("op_name").GetString()!, []);
            entry.Microseconds.Add(e.GetProperty("dur").GetDouble());
        }
        return nodes;
    }

    /// <summary>Microseconds of kernel time per group (<paramref name="groupOf"/>(op type, node name)), summed over all
    /// runs but each node's first (warm-up) one.</summary>
    public static Dictionary<string, double> KernelMicroseconds(string path, Func<string, string, string> groupOf)
    {
        var groups = new Dictionary<string, double>();
        foreach (var (node, (op, times)) in Kernels(path))
        {
            var key = groupOf(op, node);
            groups[key] = groups.GetValueOrDefault(key) + times.Skip(1).Sum();
        }
        return groups;
    }
}
