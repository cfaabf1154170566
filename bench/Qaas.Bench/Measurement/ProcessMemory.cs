namespace Qaas.Bench.Measurement;

/// <summary>Resident memory of a process from /proc/&lt;pid&gt;/status (Linux).</summary>
public static class ProcessMemory
{
    /// <summary>Current resident set (VmRSS) in bytes, or null when the process is gone.</summary>
    public static long? Rss(int pid) => Field(pid, "VmRSS:");

    /// <summary>Peak resident set (VmHWM) in bytes.</summary>
    public static long? Peak(int pid) => Field(pid, "VmHWM:");

    /// <summary>Resets VmHWM to the current RSS (writing 5 to clear_refs); false when the kernel refuses.</summary>
    public static bool ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static long? Field(int pid, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0]) * 1024; // kB
        }
        catch (IOException) { }
        return null;
    }
}
