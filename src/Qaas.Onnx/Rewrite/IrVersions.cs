namespace Qaas.Onnx.Rewrite;

/// <summary>The lowest IR version that may carry a given default-domain opset (ONNX docs/Versioning.md).</summary>
public static class IrVersions
{
    public static long MinimumFor(long defaultOpset) => defaultOpset switch
    {
        >= 23 => 11,
        >= 21 => 10,
        >= 19 => 9,
        >= 15 => 8,
        >= 12 => 7,
        11 => 6,
        10 => 5,
        9 => 4,
        _ => 3,
    };
}
