using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Reports;

namespace Qaas.Quantization.Float16;

/// <summary>
/// Preset fp16 (weights "fp16" or "bf16"). fp16: the graph computes in float16 except numerically unsafe ops, with
/// float32 inputs and outputs kept. bf16: weights stored as bfloat16 and cast back to float32 (simulated).
/// The recipe's nodes.exclude (names, op types) keeps nodes in float32; nodes.include is ignored (a partial
/// conversion would mostly add Casts).
/// </summary>
public static class Float16Converter
{
    public const string SizeOnlyWarning =
        "float16 is a size option on this CPU: ONNX Runtime's CPU provider has few float16 kernels and inserts Casts to run float32 ones, so expect float32 speed (or slightly slower).";

    public static QuantizedModel Quantize(OnnxModel model, Recipe resolvedRecipe, CancellationToken ct = default)
    {
        var type = resolvedRecipe.Weights?.Type ?? "fp16";
        var exclude = resolvedRecipe.Nodes?.Exclude;
        bool Keep(NodeProto n) => exclude is not null
            && ((exclude.Names?.Contains(n.Name) ?? false) || (exclude.OpTypes?.Contains(n.OpType) ?? false));
        return type switch
        {
            "fp16" => ToFloat16(model, Keep, ct),
            "bf16" => ToBFloat16Weights(model, ct),
            _ => throw new NotSupportedException($"Float16Converter handles fp16 and bf16 weights, not '{type}'."),
        };
    }

    public static QuantizedModel ToFloat16(OnnxModel model, Func<NodeProto, bool>? keepFloat32 = null, CancellationToken ct = default)
    {
        var proto = model.Proto.Clone();
        CastOpset.Ensure(proto, CastOpset.Float16, "fp16");
        var rewriter = new Float16Rewriter(proto, model, keepFloat32 ?? (_ => false));
        rewriter.Run(ct);
        var nodes = rewriter.Converted.Select(n => new NodeReport(n.Name, n.OpType, "fp16", 16, null, null)).ToList();
        var warnings = new List<string> { SizeOnlyWarning };
        if (rewriter.KeptNodes > 0)
            warnings.Add($"{rewriter.KeptNodes} node(s) stay float32 (numerically unsafe in float16, unknown types, or excluded); Casts join them to the float16 parts.");
        return new QuantizedModel(proto, nodes, warnings, Simulated: false);
    }

    public static QuantizedModel ToBFloat16Weights(OnnxModel model, CancellationToken ct = default)
    {
        var proto = model.Proto.Clone();
        CastOpset.Ensure(proto, CastOpset.BFloat16, "bf16");
        var stored = BFloat16WeightStorage.Apply(proto, model, ct).ToHashSet(StringComparer.Ordinal);
        var nodes = proto.Graph.Node
            .Where(n => n.Input.Any(stored.Contains))
            .Select(n => new NodeReport(n.Name, n.OpType, "bf16", 16, null, null))
            .ToList();
        var warnings = new List<string>
        {
            "bf16 is simulated: weights are stored as bfloat16 and cast to float32 at load; ONNX Runtime's CPU provider computes in float32.",
        };
        return new QuantizedModel(proto, nodes, warnings, Simulated: true);
    }
}
