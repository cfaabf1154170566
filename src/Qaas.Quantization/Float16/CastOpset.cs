using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Static;

namespace Qaas.Quantization.Float16;

/// <summary>
/// The float16 rewrites add Cast nodes, which ONNX defines with an integer <c>to</c> from opset 6 (before, a string)
/// and on bfloat16 from opset 13: an older model has its opset raised when that changes no node's meaning, and is
/// refused otherwise.
/// </summary>
internal static class CastOpset
{
    public const long Float16 = 6, BFloat16 = 13;

    public static void Ensure(ModelProto model, long needed, string type)
    {
        long current = Opsets.Of(model).GetValueOrDefault("", 1);
        if (current >= needed)
            return;
        var blockers = OpsetUpgradeCheck.Blockers(model.Graph, current, needed);
        if (blockers.Count > 0)
            throw new NotSupportedException(
                $"{type} conversion adds Cast nodes that need ONNX opset {needed}; the model imports opset {current} and raising " +
                $"it would change {string.Join(", ", blockers)} nodes. Re-export it with a newer opset.");
        new GraphEditor(model).EnsureOpset("", needed);
    }
}
