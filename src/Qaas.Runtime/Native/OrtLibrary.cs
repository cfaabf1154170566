using System.Runtime.InteropServices;

namespace Qaas.Runtime.Native;

/// <summary>The loaded ONNX Runtime library: its path, version and the OrtApi function table.
/// Loaded once per process on first use; the library is never unloaded.</summary>
public static unsafe class OrtLibrary
{
    /// <summary>The C API version whose table layout <see cref="OrtApiIndex"/> describes.</summary>
    public const uint ApiVersion = 30;
    public const string RequiredVersionPrefix = "1.30.";

    private static readonly Lazy<LoadedLibrary> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Full path of the library that was loaded.</summary>
    public static string Path => Loaded.Value.Path;

    /// <summary>The runtime's own version string, e.g. "1.30.0".</summary>
    public static string Version => Loaded.Value.Version;

    /// <summary>Loads the library now, throwing <see cref="OrtLibraryNotFoundException"/> with an actionable message if it cannot.</summary>
    public static void EnsureLoaded() => _ = Loaded.Value;

    internal static OrtApiBase* ApiBase => Loaded.Value.ApiBase;

    /// <summary>Start of the OrtApi struct: an array of <see cref="OrtApiIndexCount.Value"/> function pointers.</summary>
    internal static nint* ApiTable => Loaded.Value.ApiTable;

    private static LoadedLibrary Load()
    {
        var path = OrtLibraryLocator.Locate();
        nint library;
        try
        {
            library = NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new OrtLibraryNotFoundException(
                $"ONNX Runtime at {path} could not be loaded ({e.Message}). Run scripts/fetch-assets.sh or set " +
                $"{OrtLibraryLocator.EnvironmentVariable} to a linux-x64 libonnxruntime.so.1 1.30.x.", e);
        }

        if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var getApiBase))
            throw new OrtLibraryNotFoundException($"{path} does not export OrtGetApiBase; it is not an ONNX Runtime library.");

        var apiBase = ((delegate* unmanaged[Cdecl]<OrtApiBase*>)getApiBase)();
        var version = Marshal.PtrToStringUTF8((nint)apiBase->GetVersionString()) ?? "";
        if (!version.StartsWith(RequiredVersionPrefix, StringComparison.Ordinal))
            throw new OrtLibraryNotFoundException(
                $"ONNX Runtime at {path} is version {version}; this binding needs {RequiredVersionPrefix}x. " +
                "Run scripts/fetch-assets.sh or point QAAS_ORT_LIBRARY at a 1.30 build.");

        var api = (nint*)apiBase->GetApi(ApiVersion);
        if (api is null)
            throw new OrtLibraryNotFoundException($"ONNX Runtime {version} at {path} refused API version {ApiVersion}.");

        return new LoadedLibrary(path, version, apiBase, api);
    }

    private sealed class LoadedLibrary(string path, string version, OrtApiBase* apiBase, nint* apiTable)
    {
        public string Path { get; } = path;
        public string Version { get; } = version;
        public OrtApiBase* ApiBase { get; } = apiBase;
        public nint* ApiTable { get; } = apiTable;
    }
}
