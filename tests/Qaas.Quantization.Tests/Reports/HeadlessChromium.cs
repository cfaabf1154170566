using System.Diagnostics;

namespace Qaas.Quantization.Tests.Reports;

/// <summary>Debian's chromium in headless mode (not installed by the scripts; tests needing it are skipped without it).
/// QAAS_CHROMIUM overrides the path.</summary>
internal static class HeadlessChromium
{
    public static string Path { get; } = Environment.GetEnvironmentVariable("QAAS_CHROMIUM") ?? "/usr/bin/chromium";

    public static bool Available => File.Exists(Path);

    /// <summary>Runs chromium on a local file with the given mode flags (e.g. --dump-dom, --screenshot=...); returns stdout.</summary>
    public static string Run(string file, params string[] mode)
    {
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--no-first-run", "--user-data-dir=" + System.IO.Path.Combine(System.IO.Path.GetDirectoryName(file)!, "profile"), .. mode, new Uri(file).AbsoluteUri])
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish in 60 s.");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {stderr.Result}");
        return stdout;
    }
}

/// <summary>A fact that is skipped when headless chromium is not installed.</summary>
internal sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!HeadlessChromium.Available) Skip = $"chromium not found at {HeadlessChromium.Path} (apt-get install chromium)";
    }
}
