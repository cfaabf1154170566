namespace Qaas.Onnx.Tests;

/// <summary>Finds the repository's asset folders by walking up to the folder holding api.sln.</summary>
internal static class TestAssets
{
    public const string OnnxTestData = "/usr/share/libonnx-testdata/data";

    public static string RepoRoot { get; } = FindRoot();

    public static string Model(params string[] parts) => Path.Combine([RepoRoot, ".cache", "models", .. parts]);

    public static string PpOcrDet => Model("ppocr", "ch_PP-OCRv4_det_infer.onnx");
    public static string PpOcrCls => Model("ppocr", "ch_ppocr_mobile_v2.0_cls_infer.onnx");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "api.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no api.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fresh folder under /tmp, deleted with the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("qaas-onnx-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Position of each node in an order, by reference (NodeProto equality is by value).</summary>
internal static class NodePositions
{
    public static Dictionary<Qaas.Onnx.Proto.NodeProto, int> Of(IReadOnlyList<Qaas.Onnx.Proto.NodeProto> order)
    {
        var d = new Dictionary<Qaas.Onnx.Proto.NodeProto, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < order.Count; i++) d[order[i]] = i;
        return d;
    }
}
