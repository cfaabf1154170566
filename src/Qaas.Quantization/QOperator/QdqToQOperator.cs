using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Pipeline;

namespace Qaas.Quantization.QOperator;

/// <summary>
/// Writes the QOperator format from a canonical QDQ graph: every "DQ inputs -> op -> Q output" becomes one QLinear
/// node reading the integer inputs and writing the Q's integer output (QLinearConv, QLinearMatMul, com.microsoft
/// QGemm, QLinearAdd, QLinearMul, QLinearConcat, QLinearAveragePool, QLinearGlobalAveragePool, QLinearSigmoid,
/// QLinearLeakyRelu). DQ nodes stay only where a float reader or a graph output still needs them, so the Q -> DQ
/// pair between two QLinear nodes disappears. Other ops (MaxPool, Resize, Reshape, ...) keep their DQ/Q.
/// The integer math is the one ONNX Runtime runs when it fuses the same QDQ graph itself.
/// </summary>
public static class QdqToQOperator
{
    /// <summary>QLinearConv and QLinearMatMul are ONNX ops from opset 10.</summary>
    public const long MinimumOpset = 10;

    private static readonly IReadOnlyDictionary<string, IQLinearRewrite> Rewrites = new IQLinearRewrite[]
    {
        new QLinearConvRewrite(),
        new QLinearMatMulRewrite(),
        new QGemmRewrite(),
        new QLinearBinaryRewrite("Add", "QLinearAdd"),
        new QLinearBinaryRewrite("Mul", "QLinearMul"),
        new QLinearConcatRewrite(),
        new QLinearUnaryRewrite("AveragePool", "QLinearAveragePool", "dilations"),
        new QLinearUnaryRewrite("GlobalAveragePool", "QLinearGlobalAveragePool"),
        new QLinearUnaryRewrite("Sigmoid", "QLinearSigmoid"),
        new QLinearUnaryRewrite("LeakyRelu", "QLinearLeakyRelu"),
    }.ToDictionary(r => r.SourceOp, StringComparer.Ordinal);

    /// <summary>The static quantizer's QDQ result in QOperator format, with the node counts in its warnings.</summary>
    public static QuantizedModel Apply(QuantizedModel qdq)
    {
        ArgumentNullException.ThrowIfNull(qdq);
        if (qdq.Simulated)
            throw new NotSupportedException("Format 'qoperator' needs integer (uint8/int8) activations; a simulated float8 QDQ model has no QLinear form.");
        var model = qdq.Model.Clone();
        var conversion = Convert(model);
        var warnings = qdq.Warnings.ToList();
        if (qdq.Nodes.Count > 0)
            warnings.Add($"QOperator format: {conversion.Summary}.");
        if (conversion.Kept.Count > 0)
            warnings.Add($"{conversion.Kept.Count} quantized node(s) stay in QDQ form (ONNX Runtime fuses them or runs them in fp32): " +
                string.Join("; ", conversion.Kept.Take(10).Select(k => $"{k.Node}: {k.Reason}")) + (conversion.Kept.Count > 10 ? "; ..." : "") + ".");
        return qdq with { Model = model, Warnings = warnings };
    }

    /// <summary>Rewrites <paramref name="model"/>'s main graph in place.</summary>
    public static QOperatorConversion Convert(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var created = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var kept = new List<(string, string)>();
        var index = new QdqIndex(model.Graph);
        var patterns = model.Graph.Node
            .Where(n => Opsets.NormalizeDomain(n.Domain).Length == 0 && Rewrites.ContainsKey(n.OpType))
            .Select(index.Match).OfType<QdqPattern>()
            // A node with a float input (a constant, an unquantized tensor) is a float node whose output tensor is
            // quantized for its readers: not a pattern, not worth reporting.
            .Where(p => Enumerable.Range(0, p.Node.Input.Count).All(i => !p.Has(i) || p.Input(i) is not null)).ToList();
        if (patterns.Count == 0)
            return new QOperatorConversion(created, kept);
        var opset = Opsets.Of(model).GetValueOrDefault("");
        if (opset < MinimumOpset)
        {
            kept.AddRange(patterns.Select(p => (p.Name, $"the model imports ONNX opset {opset}; QLinear ops need {MinimumOpset}")));
            return new QOperatorConversion(created, kept);
        }

        var editor = new GraphEditor(model);
        foreach (var pattern in patterns)
        {
            var rewrite = Rewrites[pattern.Node.OpType];
            if ((pattern.Blocker ?? rewrite.Blocker(pattern, index)) is { } reason)
            {
                kept.Add((pattern.Name, reason));
                continue;
            }
            var q = rewrite.Rewrite(pattern, index, editor);
            editor.AddNode(q.OpType, q.Inputs, [pattern.Output.Values], pattern.Name + "_quant", q.Domain, [.. q.Attributes]);
            editor.RemoveNode(pattern.Node);
            if (pattern.Absorbed is { } activation)
                editor.RemoveNode(activation);
            editor.RemoveNode(pattern.Quantize);
            created[q.OpType] = created.GetValueOrDefault(q.OpType) + 1;
            if (q.Domain.Length > 0)
                editor.EnsureOpset(q.Domain, 1);
        }
        RemoveUnreadQdq(editor);
        editor.SortTopologically();
        editor.RemoveUnusedInitializers();
        editor.DropStaleValueInfo();
        return new QOperatorConversion(created, kept);
    }

    /// <summary>Drops DQ (then Q) nodes whose output nothing reads any more: the QLinear nodes read the integers.</summary>
    private static void RemoveUnreadQdq(GraphEditor editor)
    {
        while (true)
        {
            var view = new GraphView(editor.Graph);
            var unread = editor.Graph.Node
                .Where(n => (QdqIndex.Is(n, "DequantizeLinear") || QdqIndex.Is(n, "QuantizeLinear"))
                    && n.Output.All(o => view.ConsumersOf(o).Count == 0 && !view.IsGraphOutput(o)))
                .ToList();
            if (unread.Count == 0)
                return;
            foreach (var n in unread)
                editor.RemoveNode(n);
        }
    }
}
