namespace Qaas.Bench.Reporting;

/// <summary>Human-readable sizes and rates (binary units for sizes, decimal MB/s and GB/s for rates).</summary>
public static class Units
{
    public static string Bytes(long b) => Math.Abs(b) >= 1L << 30 ? $"{b / (double)(1L << 30):F2} GiB" : $"{b / (double)(1L << 20):F0} MiB";

    public static string MBps(long bytes, double seconds) => $"{bytes / seconds / 1e6:F0} MB/s";

    public static string GBps(double gbPerSecond) => $"{gbPerSecond:F2} GB/s";
}
