using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.Quantization.Static;

/// <summary>Which domain the Q/DQ nodes use and the opset edits that makes them valid.</summary>
/// <param name="Domain">"" (ONNX) or "com.microsoft" (ONNX Runtime's own Q/DQ, with axis at any ONNX opset).</param>
public sealed record QdqOpset(string Domain)
{
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>ONNX Runtime fuses Q/DQ into ONNX-domain QLinearConv/QLinearMatMul, which exist from opset 10.</summary>
    public const long FusedKernelsOpset = 10;

    /// <summary>
    /// Uses ONNX Q/DQ when the model's opset is high enough or can be raised without changing any node's meaning;
    /// otherwise ONNX Runtime's com.microsoft Q/DQ (same semantics, fused the same way) for integer types, with the
    /// ONNX opset raised to at least 10 (old Slice nodes are rewritten to allow that).
    /// </summary>
    /// <param name="needed">10 for per-tensor, 13 for per-channel (axis), 19 for float8.</param>
    public static QdqOpset Prepare(ModelProto model, long needed, bool float8, ICollection<string> warnings)
    {
        var editor = new GraphEditor(model);
        long current = model.OpsetImport.FirstOrDefault(o => Opsets.NormalizeDomain(o.Domain).Length == 0)?.Version ?? 1;
        if (current >= needed)
            return new QdqOpset("");
        var blockers = OpsetUpgradeCheck.Blockers(model.Graph, current, needed);
        if (blockers.Count == 0)
        {
            editor.EnsureOpset("", needed);
            return new QdqOpset("");
        }
        if (float8)
            throw new NotSupportedException(
                $"Float8 Q/DQ needs ONNX opset {needed}; the model imports opset {current} and raising it would change " +
                $"{string.Join(", ", blockers)} nodes.");
        if (current < FusedKernelsOpset)
        {
            var left = OpsetUpgradeCheck.Blockers(model.Graph, current, FusedKernelsOpset).Where(op => op != "Slice").ToList();
            if (left.Count > 0)
                throw new NotSupportedException(
                    $"Static QDQ needs ONNX opset {FusedKernelsOpset} or later; the model imports opset {current} and raising it " +
                    $"would change {string.Join(", ", left)} nodes.");
            SliceAttributeUpgrade.Apply(editor);
            editor.EnsureOpset("", FusedKernelsOpset);
        }
        editor.EnsureOpset(MicrosoftDomain, 1);
        warnings.Add($"The model imports ONNX opset {current}; raising it to {needed} would change {string.Join(", ", blockers)} " +
            "nodes, so Q/DQ nodes use ONNX Runtime's com.microsoft domain (the model runs on ONNX Runtime).");
        return new QdqOpset(MicrosoftDomain);
    }
}
