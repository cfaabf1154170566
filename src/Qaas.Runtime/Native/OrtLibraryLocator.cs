namespace Qaas.Runtime.Native;

/// <summary>Finds libonnxruntime.so.1: QAAS_ORT_LIBRARY, then a .cache/onnxruntime folder above the app or the
/// current directory (where scripts/fetch-assets.sh puts it), then next to the app.</summary>
public static class OrtLibraryLocator
{
    public const string EnvironmentVariable = "QAAS_ORT_LIBRARY";
    public const string FileName = "libonnxruntime.so.1";
    public static readonly string CacheRelativePath = Path.Combine(".cache", "onnxruntime", FileName);

    /// <summary>Returns the full path of the library or throws <see cref="OrtLibraryNotFoundException"/>.</summary>
    public static string Locate() =>
        Locate(Environment.GetEnvironmentVariable(EnvironmentVariable),
            [AppContext.BaseDirectory, Directory.GetCurrentDirectory()], AppContext.BaseDirectory);

    /// <summary>The search with its inputs explicit (the environment variable's value, where to walk up from, the app folder).</summary>
    public static string Locate(string? fromEnvironment, IEnumerable<string> searchRoots, string appDirectory)
    {
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (File.Exists(fromEnvironment))
                return Path.GetFullPath(fromEnvironment);
            throw new OrtLibraryNotFoundException(
                $"ONNX Runtime not found: {EnvironmentVariable}={fromEnvironment} does not name an existing file. " +
                $"Point it at libonnxruntime.so.1 (1.30.x) or unset it and run scripts/fetch-assets.sh.");
        }

        var searched = new List<string>();
        foreach (var start in searchRoots)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, CacheRelativePath);
                if (File.Exists(candidate))
                    return candidate;
            }
            searched.Add($"{start} and its parents");
        }

        var besideApp = Path.Combine(appDirectory, FileName);
        if (File.Exists(besideApp))
            return besideApp;
        searched.Add(appDirectory);

        throw new OrtLibraryNotFoundException(
            $"ONNX Runtime not found: run scripts/fetch-assets.sh or set {EnvironmentVariable}=/path/to/{FileName} " +
            $"(looked for {CacheRelativePath} in {string.Join("; ", searched)}).");
    }
}
