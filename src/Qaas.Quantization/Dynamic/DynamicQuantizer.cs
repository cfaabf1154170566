using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Algorithms;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Reports;
using Qaas.Quantization.WeightOnly;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Dynamic;

/// <summary>
/// Dynamic int8 quantization (preset int8-dynamic): weights are quantized offline (int8, symmetric per output
/// channel by default); activations are quantized to uint8 at run time from each tensor's own min/max, so no
/// calibration data is needed. Each selected MatMul with a constant W[K, N] becomes an integer MatMul whose int32
/// result is rescaled by x_scale * w_scale[n]; each selected Conv becomes a ConvInteger the same way (<see cref="DynamicConv"/>).
/// Nodes in If branches and Loop/Scan bodies are rewritten too; a weight they capture from an enclosing graph is
/// quantized once, in that graph.
/// </summary>
public static class DynamicQuantizer
{
    public const string MicrosoftDomain = "com.microsoft";

    public static QuantizedModel Quantize(OnnxModel model, Recipe resolvedRecipe, CancellationToken ct = default) =>
        Quantize(model, resolvedRecipe, DynamicMatMulForm.Standard, ct);

    public static QuantizedModel Quantize(OnnxModel model, Recipe resolvedRecipe, DynamicMatMulForm form, CancellationToken ct = default)
    {
        var spec = resolvedRecipe.Weights ?? throw new ArgumentException("The recipe has no weights section.", nameof(resolvedRecipe));
        var type = QuantTypeInfo.Parse(spec.Type ?? "int8");
        if (type is not (QuantType.Int8 or QuantType.UInt8))
            throw new NotSupportedException($"Dynamic quantization needs int8 or uint8 weights, not '{spec.Type}'.");
        bool symmetric = spec.Symmetric ?? type == QuantType.Int8;
        bool perTensor = spec.Granularity == "per-tensor";

        var proto = model.Proto.Clone();
        var editors = new ScopedEditors(proto);
        var warnings = new List<string>();
        // DynamicQuantizeLinear needs ONNX opset 11; raising an older model's opset would change other ops' meaning.
        if (form == DynamicMatMulForm.Standard && DefaultOpset(proto) < 11)
        {
            form = DynamicMatMulForm.Fused;
            warnings.Add($"The model imports ONNX opset {DefaultOpset(proto)} (< 11): dynamic MatMuls use com.microsoft DynamicQuantizeMatMul, which only ONNX Runtime runs.");
        }
        var quantizedInputs = new DynamicInputs();
        var capturedMatMulWeights = new CapturedWeights<(QuantizedWeight Weight, double Error)>(editors);
        var reports = new List<NodeReport>();
        foreach (var m in WeightedMatMuls.FindAll(proto.Graph, resolvedRecipe.Nodes))
        {
            ct.ThrowIfCancellationRequested();
            var editor = editors.Of(m.Scope.Graph);
            var gemmBias = m.ReadGemmBias(model) is { } c
                ? editor.AddInitializer(TensorData.Create<float>($"{m.WeightName}_bias", c, [m.N])) : null;
            var (weight, error) = capturedMatMulWeights.For(m, "", weightEditor =>
            {
                var w = m.ReadWeight(model);
                // Per-tensor is per-channel over a single column: W viewed as [K * N, 1] has the same row-major layout.
                var rtn = perTensor ? Rtn.Quantize(w, m.K * m.N, 1, type, symmetric) : Rtn.Quantize(w, m.K, m.N, type, symmetric);
                return (AddWeight(weightEditor, m, rtn, type, symmetric), WeightError.Relative(w, rtn.Dequantize()));
            });
            if (form == DynamicMatMulForm.Fused) EmitFused(editor, m, weight, gemmBias);
            else EmitStandard(editor, m, weight, gemmBias, quantizedInputs);
            editor.RemoveNode(m.Node);
            reports.Add(new NodeReport(m.ReportName, m.Node.OpType, type.RecipeName(), 8, null, error));
        }
        reports.AddRange(QuantizeConvs(editors, resolvedRecipe.Nodes, type, symmetric, perTensor, quantizedInputs, model, warnings, ct));
        if (reports.Count == 0)
            warnings.Add("No MatMul or Conv with a constant float weight was selected: the model is unchanged.");
        else
        {
            if (form == DynamicMatMulForm.Fused) editors.Main.EnsureOpset(MicrosoftDomain, 1);
            editors.Tidy();
        }
        return new QuantizedModel(proto, reports, warnings, Simulated: false);
    }

    /// <summary>Every selected Conv of every graph, as ConvInteger (<see cref="DynamicConv"/>).</summary>
    private static List<NodeReport> QuantizeConvs(ScopedEditors editors, NodeSelection? selection, QuantType type, bool symmetric,
        bool perTensor, DynamicInputs quantizedInputs, OnnxModel model, List<string> warnings, CancellationToken ct)
    {
        var reports = new List<NodeReport>();
        bool HasSelectedConv(GraphScope s) =>
            s.Graph.Node.Any(n => n.OpType == "Conv" && WeightedMatMuls.IsSelected(n, selection, s.NameOf(n)));
        var withConvs = GraphScope.All(editors.Main.Graph).Where(HasSelectedConv).ToList();
        if (withConvs.Count == 0 || !ConvOpsetReady(editors.Main, warnings)) return reports;

        // Conv weights often come as Constant nodes; as initializers they are found and replaced like any other. A graph
        // holding a selected Conv, or enclosing one (which may capture its weight), is promoted.
        var promote = new HashSet<GraphProto>(ReferenceEqualityComparer.Instance);
        foreach (var s in withConvs)
            for (var scope = s; scope is not null; scope = scope.Parent)
                promote.Add(scope.Graph);
        foreach (var g in Subgraphs.All(editors.Main.Graph).Where(promote.Contains))
            editors.Of(g).PromoteConstantsToInitializers();

        // New scopes: promotion turned Constant nodes into initializers.
        var captured = new CapturedWeights<DynamicConv.QuantizedWeight>(editors);
        foreach (var conv in GraphScope.All(editors.Main.Graph).SelectMany(s => DynamicConv.Candidates(s, selection)))
        {
            ct.ThrowIfCancellationRequested();
            var weight = captured.For(conv.Scope, conv.Weight.Owner, conv.Weight.Name, "",
                editor => DynamicConv.QuantizeWeight(editor, conv, type, symmetric, perTensor, model));
            reports.Add(DynamicConv.Rewrite(editors.Of(conv.Scope.Graph), conv, weight, type, quantizedInputs, model));
        }
        if (reports.Count > 0)
            warnings.Add($"{reports.Count} Conv(s) became ConvInteger: ONNX Runtime's CPU ConvInteger is much slower than its float Conv " +
                "(quantizing every activation at run time, no fused requantization); for convolutional models int8-static is the fast form.");
        return reports;
    }

    /// <summary>
    /// DynamicQuantizeLinear needs ONNX opset 11 and has no com.microsoft twin: an older model is raised when that
    /// changes no node's meaning; otherwise its Convs stay float, with a warning.
    /// </summary>
    private static bool ConvOpsetReady(GraphEditor editor, ICollection<string> warnings)
    {
        long opset = DefaultOpset(editor.Model);
        if (opset >= 11) return true;
        var blockers = Static.OpsetUpgradeCheck.Blockers(editor.Graph, opset, 11);
        if (blockers.Count > 0)
        {
            warnings.Add($"Convs were left in float: dynamic Conv quantization needs ONNX opset 11 (DynamicQuantizeLinear); the model " +
                $"imports opset {opset} and raising it would change {string.Join(", ", blockers)} nodes. int8-static quantizes them instead.");
            return false;
        }
        editor.EnsureOpset("", 11);
        return true;
    }

    private static long DefaultOpset(Onnx.Proto.ModelProto model) =>
        model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 1;

    private sealed record QuantizedWeight(string Values, string Scale, string? ZeroPoint);

    private static QuantizedWeight AddWeight(GraphEditor editor, WeightedMatMul m, RtnResult rtn, QuantType type, bool symmetric)
    {
        var dataType = type == QuantType.Int8 ? (int)DT.Int8 : (int)DT.Uint8;
        var values = editor.AddInitializer(TensorData.Create<byte>($"{m.WeightName}_quantized", rtn.Values, [m.K, m.N], dataType));
        long[] paramShape = rtn.Scales.Length == 1 ? [] : [rtn.Scales.Length];
        var scale = editor.AddInitializer(TensorData.Create<float>($"{m.WeightName}_scale", rtn.Scales, paramShape));
        string? zeroPoint = null;
        // A symmetric int8 weight has zero points of 0, the operators' default.
        if (!(symmetric && type == QuantType.Int8))
        {
            var zp = rtn.ZeroPoints.Select(z => (byte)z).ToArray();
            zeroPoint = editor.AddInitializer(TensorData.Create<byte>($"{m.WeightName}_zero_point", zp, paramShape, dataType));
        }
        return new QuantizedWeight(values, scale, zeroPoint);
    }

    private static void EmitStandard(GraphEditor editor, WeightedMatMul m, QuantizedWeight w, string? gemmBias,
        DynamicInputs quantizedInputs)
    {
        var x = quantizedInputs.Of(editor, m.Input);
        var name = m.Node.Name.Length > 0 ? m.Node.Name : m.Output;
        var product = editor.Names.Fresh(m.Output + "_int32");
        editor.AddNode("MatMulInteger", [x.Q, w.Values, x.ZeroPoint, w.ZeroPoint ?? ""], [product], name + "_MatMulInteger");
        var asFloat = editor.Names.Fresh(m.Output + "_float");
        editor.AddNode("Cast", [product], [asFloat], name + "_Cast", "", Attributes.Int("to", (long)DT.Float));
        var scale = editor.Names.Fresh(m.Output + "_scale");
        editor.AddNode("Mul", [x.Scale, w.Scale], [scale], name + "_scale");
        if (gemmBias is null)
            editor.AddNode("Mul", [asFloat, scale], [m.Output], name + "_rescale");
        else
        {
            var rescaled = editor.Names.Fresh(m.Output + "_rescaled");
            editor.AddNode("Mul", [asFloat, scale], [rescaled], name + "_rescale");
            editor.AddNode("Add", [rescaled, gemmBias], [m.Output], name + "_bias");
        }
    }

    private static void EmitFused(GraphEditor editor, WeightedMatMul m, QuantizedWeight w, string? gemmBias)
    {
        var inputs = new List<string> { m.Input, w.Values, w.Scale, w.ZeroPoint ?? "" };
        var output = m.Output;
        if (m.BiasAdd is { } add)
        {
            inputs.Add(m.BiasName!);
            output = add.Output[0];
            editor.RemoveNode(add);
        }
        else if (gemmBias is not null) inputs.Add(gemmBias);
        while (inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
        editor.AddNode("DynamicQuantizeMatMul", inputs, [output], (m.Node.Name.Length > 0 ? m.Node.Name : m.Output) + "_quant",
            MicrosoftDomain);
    }
}
