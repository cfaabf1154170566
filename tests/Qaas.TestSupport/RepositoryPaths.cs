namespace Qaas.TestSupport;

/// <summary>Locates the repository root (the folder holding api.sln) and the assets under .cache.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Cache => Path.Combine(Root, ".cache");

    public static string Model(params string[] parts) => Path.Combine([Cache, "models", .. parts]);

    public static string PpOcrDet => Model("ppocr", "ch_PP-OCRv4_det_infer.onnx");

    public static string PpOcrCls => Model("ppocr", "ch_ppocr_mobile_v2.0_cls_infer.onnx");

    public const string OnnxTestData = "/usr/share/libonnx-testdata/data";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "api.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"api.sln not found above {AppContext.BaseDirectory}.");
    }
}
