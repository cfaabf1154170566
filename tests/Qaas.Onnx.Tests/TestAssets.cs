namespace Qaas.Onnx.Tests;

/// <summary>The assets these tests read (see <see cref="RepositoryPaths"/>).</summary>
internal static class TestAssets
{
    public const string OnnxTestData = RepositoryPaths.OnnxTestData;
    public static string RepoRoot => RepositoryPaths.Root;
    public static string Model(params string[] parts) => RepositoryPaths.Model(parts);
    public static string PpOcrDet => RepositoryPaths.PpOcrDet;
    public static string PpOcrCls => RepositoryPaths.PpOcrCls;
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
