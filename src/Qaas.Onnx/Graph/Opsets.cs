using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Graph;

/// <summary>Opset versions per operator domain ("" is the default ONNX domain; "ai.onnx" is folded into it).</summary>
public static class Opsets
{
    public static string NormalizeDomain(string domain) => domain == "ai.onnx" ? "" : domain;

    public static IReadOnlyDictionary<string, long> Of(ModelProto model)
    {
        var map = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var o in model.OpsetImport)
        {
            var d = NormalizeDomain(o.Domain);
            map[d] = Math.Max(map.GetValueOrDefault(d), o.Version);
        }
        return map;
    }
}
