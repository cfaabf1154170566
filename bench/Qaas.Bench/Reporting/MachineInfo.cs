using System.Runtime.InteropServices;

namespace Qaas.Bench.Reporting;

/// <summary>The one line that says where figures came from.</summary>
public static class MachineInfo
{
    public static string Describe()
    {
        var model = CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memGiB = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (double)(1L << 30);
        return $"{Environment.ProcessorCount} cores (nproc), {model}, {memGiB:F0} GiB RAM, .NET {Environment.Version}";
    }

    private static string? CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo")
                .Where(l => l.StartsWith("model name", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf(':') + 1)..].Trim())
                .FirstOrDefault();
        }
        catch (IOException) { return null; }
    }
}
