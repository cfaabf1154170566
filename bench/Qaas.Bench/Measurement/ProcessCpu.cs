namespace Qaas.Bench.Measurement;

/// <summary>CPU time a process has used (user + system), from /proc/&lt;pid&gt;/stat (Linux).</summary>
public static class ProcessCpu
{
    private const double TicksPerSecond = 100; // USER_HZ, 100 on Linux

    public static TimeSpan? Used(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces: state is field 3, utime 14, stime 15.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(rest[11]) + long.Parse(rest[12]);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (IOException) { return null; }
    }

    /// <summary>CPU time of a process and its direct children (e.g. a postmaster and its backends), summed.</summary>
    public static TimeSpan UsedWithChildren(int pid)
    {
        var total = Used(pid) ?? TimeSpan.Zero;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var child)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(rest[1]) == pid) total += Used(child) ?? TimeSpan.Zero; // field 4: ppid
            }
            catch (IOException) { } // the process ended meanwhile
        }
        return total;
    }
}
