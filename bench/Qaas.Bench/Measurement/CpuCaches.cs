namespace Qaas.Bench.Measurement;

/// <summary>The CPU's cache sizes as Linux reports them under /sys/devices/system/cpu/cpu0/cache.</summary>
public static class CpuCaches
{
    /// <summary>Size in bytes of the highest-level cache, or null where sysfs does not say.</summary>
    public static long? LastLevelBytes()
    {
        const string root = "/sys/devices/system/cpu/cpu0/cache";
        if (!Directory.Exists(root))
            return null;
        (int Level, long Bytes)? last = null;
        foreach (var index in Directory.EnumerateDirectories(root, "index*"))
        {
            try
            {
                var level = int.Parse(File.ReadAllText(Path.Combine(index, "level")).Trim());
                var bytes = ParseSize(File.ReadAllText(Path.Combine(index, "size")).Trim());
                if (bytes is { } b && (last is null || level > last.Value.Level))
                    last = (level, b);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        }
        return last?.Bytes;
    }

    // sysfs writes sizes as "266240K" (or "M"); a bare number is bytes.
    private static long? ParseSize(string text) => text.Length == 0 ? null : char.ToUpperInvariant(text[^1]) switch
    {
        'K' => long.Parse(text[..^1]) * 1024,
        'M' => long.Parse(text[..^1]) * 1024 * 1024,
        _ => long.Parse(text),
    };
}
