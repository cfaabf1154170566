using Qaas.Runtime.Native;

namespace Qaas.Runtime.Tests.Native;

public class OrtLibraryTests
{
    [Fact]
    public void Loads_version_1_30()
    {
        OrtLibrary.EnsureLoaded();
        Assert.StartsWith("1.30.", OrtLibrary.Version);
        Assert.True(File.Exists(OrtLibrary.Path));
        Assert.Equal(OrtLibrary.Version, OrtEnvironment.Instance.Version);
        Assert.Contains("CPUExecutionProvider", OrtEnvironment.Instance.AvailableProviders);
    }

    [Fact]
    public void Locator_finds_the_cache_folder_above_a_start_directory()
    {
        var start = Path.Combine(RepositoryPaths.Root, "tests", "Qaas.Runtime.Tests");
        var found = OrtLibraryLocator.Locate(null, [start], "/nonexistent");
        Assert.Equal(Path.Combine(RepositoryPaths.Cache, "onnxruntime", "libonnxruntime.so.1"), found);
    }

    [Fact]
    public void Locator_prefers_the_environment_variable_and_rejects_a_missing_file()
    {
        var real = Path.Combine(RepositoryPaths.Cache, "onnxruntime", "libonnxruntime.so.1");
        Assert.Equal(real, OrtLibraryLocator.Locate(real, ["/"], "/"));

        var e = Assert.Throws<OrtLibraryNotFoundException>(() => OrtLibraryLocator.Locate("/nope/libonnxruntime.so.1", ["/"], "/"));
        Assert.Contains("QAAS_ORT_LIBRARY", e.Message);
    }

    [Fact]
    public void Locator_says_how_to_fix_a_missing_library()
    {
        var empty = Directory.CreateTempSubdirectory("qaas-ort-locator");
        try
        {
            var e = Assert.Throws<OrtLibraryNotFoundException>(() => OrtLibraryLocator.Locate(null, [empty.FullName], empty.FullName));
            Assert.Contains("scripts/fetch-assets.sh", e.Message);
            Assert.Contains("QAAS_ORT_LIBRARY", e.Message);
        }
        finally
        {
            empty.Delete();
        }
    }
}
