using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Reports;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// Weight-only int3, NF4 and FP4 (E2M1), which ONNX Runtime has no kernels for: each selected MatMul's constant
/// W[K, N] is stored as 4-bit codes (two per byte) with per-block scales, and an exact dequantize subgraph built from
/// opset-7 integer ops (Cast, Div, Mul, Sub, Concat, Gather, Reshape) rebuilds W' for the original MatMul.
/// The result is simulated: the file is small, but ONNX Runtime folds W' back to float32 at load. MatMuls in subgraphs
/// are rewritten too; a weight they capture from an enclosing graph is dequantized once, in that graph.
/// </summary>
public static class CodedWeightQuantizer
{
    public static QuantizedModel Quantize(OnnxModel model, Recipe resolvedRecipe, CancellationToken ct = default)
    {
        var spec = resolvedRecipe.Weights ?? throw new ArgumentException("The recipe has no weights section.", nameof(resolvedRecipe));
        var type = spec.Type ?? "nf4";
        if (Array.IndexOf(WeightCoding.Types, type) < 0)
            throw new NotSupportedException($"CodedWeightQuantizer handles {string.Join(", ", WeightCoding.Types)}, not '{type}'.");
        bool perGroup = spec.Granularity == "per-group";
        bool symmetric = spec.Symmetric ?? false;

        var proto = model.Proto.Clone();
        var editors = new ScopedEditors(proto);
        var captured = new CapturedWeights<(string Dequantized, double Error)>(editors);
        var reports = new List<NodeReport>();
        var warnings = new List<string>
        {
            $"'{type}' weights are simulated: stored as 4-bit codes and dequantized by the graph; ONNX Runtime computes in float32.",
        };
        string? sixteen = null;
        foreach (var m in WeightedMatMuls.FindAll(proto.Graph, resolvedRecipe.Nodes))
        {
            ct.ThrowIfCancellationRequested();
            int block = perGroup ? spec.GroupSize ?? 32 : m.K;
            // Codes are packed as two halves of K (rows k and k + K/2 share a byte), and blocks must tile K.
            if (m.K % block != 0 || m.K % 2 != 0)
            {
                warnings.Add($"'{m.ReportName}' stays float32: K = {m.K} is not a multiple of the block size {block} (and of 2).");
                continue;
            }
            // A captured weight is dequantized once, in the graph defining it (outside a loop body, shared by branches).
            var (dequantized, error) = captured.For(m, $"{block}", editor =>
            {
                var w = m.ReadWeight(model);
                var coded = WeightCoding.Encode(type, w, m.K, m.N, block, symmetric);
                // The main graph's constant 16 is visible from every subgraph.
                sixteen ??= editors.Main.AddInitializer(TensorData.Create<int>("coded_weight_16", [16], []));
                return (EmitDequantize(editor, m.WeightName, coded, sixteen), WeightError.Relative(w, coded.Dequantize()));
            });
            var own = editors.Of(m.Scope.Graph);
            if (m.IsGemm) ReplaceGemm(own, m, dequantized, m.ReadGemmBias(model));
            else m.Node.Input[1] = dequantized;
            reports.Add(new NodeReport(m.ReportName, m.Node.OpType, type, type == "int3" ? 3 : 4, null, error));
        }
        if (reports.Count > 0) editors.Tidy();
        else warnings.Add("No MatMul with a constant 2-D float weight was selected: the model is unchanged.");
        return new QuantizedModel(proto, reports, warnings, Simulated: true);
    }

    // W' already carries transB and alpha: the Gemm becomes MatMul(A, W') (+ beta * C).
    private static void ReplaceGemm(GraphEditor editor, WeightedMatMul m, string dequantized, float[]? bias)
    {
        var name = m.Node.Name.Length > 0 ? m.Node.Name : m.Output;
        if (bias is null)
        {
            editor.AddNode("MatMul", [m.Input, dequantized], [m.Output], name + "_matmul");
        }
        else
        {
            var product = editor.Names.Fresh(m.Output + "_product");
            editor.AddNode("MatMul", [m.Input, dequantized], [product], name + "_matmul");
            var b = editor.AddInitializer(TensorData.Create<float>($"{m.WeightName}_bias", bias, [m.N]));
            editor.AddNode("Add", [product, b], [m.Output], name + "_bias");
        }
        editor.RemoveNode(m.Node);
    }

    private static string EmitDequantize(GraphEditor editor, string weight, CodedWeight c, string sixteen)
    {
        int half = c.K / 2;
        var packed = new byte[half * c.N];
        for (int i = 0; i < packed.Length; i++)
            packed[i] = (byte)(c.Codes[i] | c.Codes[half * c.N + i] << 4);
        string Init(Onnx.Proto.TensorProto t) => editor.AddInitializer(t);
        string Node(string op, string[] inputs, string hint, params Onnx.Proto.AttributeProto[] attributes)
        {
            var output = editor.Names.Fresh($"{weight}_{hint}");
            editor.AddNode(op, inputs, [output], output, "", attributes);
            return output;
        }

        var codes = Node("Cast", [Init(TensorData.Create<byte>($"{weight}_codes", packed, [half, c.N]))], "codes_int32",
            Attributes.Int("to", (long)DT.Int32));
        var high = Node("Div", [codes, sixteen], "high");
        var low = Node("Sub", [codes, Node("Mul", [high, sixteen], "high_shifted")], "low");
        var index = Node("Concat", [low, high], "index", Attributes.Int("axis", 0));
        var level = Node("Gather", [Init(TensorData.Create<float>($"{weight}_code_book", c.CodeBook, [c.CodeBook.Length])), index], "level");
        long[] blocked = [c.KBlocks, c.BlockSize, c.N], perBlock = [c.KBlocks, 1, c.N];
        level = Node("Reshape", [level, Init(TensorData.Create<long>($"{weight}_blocked_shape", blocked, [3]))], "blocked");
        if (c.Zeros is not null)
            level = Node("Sub", [level, Init(TensorData.Create<float>($"{weight}_zeros", c.Zeros, perBlock))], "centered");
        var scaled = Node("Mul", [level, Init(TensorData.Create<float>($"{weight}_scales", c.Scales, perBlock))], "scaled");
        return Node("Reshape", [scaled, Init(TensorData.Create<long>($"{weight}_shape", [c.K, c.N], [2]))], "dequantized");
    }
}
