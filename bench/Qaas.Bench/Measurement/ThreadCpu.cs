using System.Runtime.InteropServices;

namespace Qaas.Bench.Measurement;

/// <summary>CPU time of the calling thread (clock_gettime CLOCK_THREAD_CPUTIME_ID, Linux). A 1-intra-op-thread ORT run
/// executes on the caller, so this counts the run's own work and not the time other processes held the core.</summary>
public static partial class ThreadCpu
{
    private const int ClockProcessCpuTimeId = 2, ClockThreadCpuTimeId = 3;

    public static double Milliseconds() => Clock(ClockThreadCpuTimeId);

    /// <summary>CPU time of all threads of this process (CLOCK_PROCESS_CPUTIME_ID): the work of a run that also uses
    /// worker threads, to the nanosecond where /proc's figures count 10 ms ticks.</summary>
    public static double ProcessMilliseconds() => Clock(ClockProcessCpuTimeId);

    private static double Clock(int id)
    {
        if (!OperatingSystem.IsLinux())
            return double.NaN;
        if (ClockGetTime(id, out var ts) != 0)
            return double.NaN;
        return ts.Seconds * 1e3 + ts.Nanoseconds / 1e6;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
