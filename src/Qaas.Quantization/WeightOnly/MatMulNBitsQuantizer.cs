using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Algorithms;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Reports;
using Qaas.Quantization.Transforms;

namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// Weight-only block quantization (preset w4-rtn): each selected MatMul with a constant W[K, N] becomes a
/// com.microsoft MatMulNBits whose weight is stored as 2, 4 or 8-bit integers with one scale (and zero point) per
/// block of K; activations stay float. A directly following bias Add moves into the operator's bias input.
/// By default (<see cref="MatMulNBitsOptions"/>) each block's scale comes from a clip search, a MatMul producing a graph
/// output gets blocks of at most 32, and MatMulNBits nodes sharing their input (Q, K, V) are fused into one.
/// MatMuls in If branches and Loop/Scan bodies are rewritten too; a weight they capture from an enclosing graph is
/// packed once, in that graph (<see cref="CapturedWeights{T}"/>).
/// </summary>
public static class MatMulNBitsQuantizer
{
    public const string Domain = "com.microsoft";

    /// <summary>Bits of MatMulNBits storage for a recipe weight type, or null when the operator cannot hold it.</summary>
    public static int? BitsOf(string? weightType) => weightType switch
    {
        "int4" or "uint4" => 4,
        "int8" or "uint8" => 8,
        "int2" => 2,
        _ => null,
    };

    public static QuantizedModel Quantize(OnnxModel model, Recipe resolvedRecipe, CancellationToken ct = default) =>
        Quantize(model, resolvedRecipe, MatMulNBitsOptions.Default, ct);

    /// <param name="calibration">Samples whose MatMul inputs give GPTQ its Hessians and AWQ its scales; needed for
    /// weights.algorithm "gptq" and "awq".</param>
    /// <param name="progress">Share done, 0 to 1: AWQ's search takes the first half when asked for, then weight by weight.</param>
    public static QuantizedModel Quantize(OnnxModel model, Recipe resolvedRecipe, MatMulNBitsOptions options, CancellationToken ct = default,
        SampleFeed? calibration = null, IProgress<double>? progress = null)
    {
        var weights = resolvedRecipe.Weights ?? throw new ArgumentException("The recipe has no weights section.", nameof(resolvedRecipe));
        var type = weights.Type ?? "int4";
        int bits = BitsOf(type) ?? throw new NotSupportedException($"MatMulNBits cannot store '{type}' weights.");
        int blockSize = weights.GroupSize ?? 32;
        if (Array.IndexOf(MatMulNBitsPacker.SupportedBlockSizes, blockSize) < 0)
            throw new ArgumentOutOfRangeException(nameof(resolvedRecipe), blockSize, "MatMulNBits supports block sizes 16..256 (powers of two).");
        if (options.HeadBlockSize is { } headBlock && Array.IndexOf(MatMulNBitsPacker.SupportedBlockSizes, headBlock) < 0)
            throw new ArgumentOutOfRangeException(nameof(options), headBlock, "MatMulNBits supports block sizes 16..256 (powers of two).");
        bool symmetric = weights.Symmetric ?? false;
        var warnings = new List<string>();
        IReadOnlyDictionary<string, float[]>? awqRowWeights = null, awqRowScales = null;
        if (weights.Algorithm == "awq")
            (model, _, _, awqRowWeights, awqRowScales, _) = AwqScaled(model, resolvedRecipe, calibration, blockSize, options, bits, symmetric, warnings,
                ProgressRange.Of(progress, 0, 0.5), ct);
        double start = weights.Algorithm == "awq" ? 0.5 : 0;

        var proto = model.Proto.Clone();
        var editors = new ScopedEditors(proto);
        var captured = new CapturedWeights<StoredWeight>(editors);
        var reports = new List<NodeReport>();
        var graphOutputs = proto.Graph.Output.Select(o => o.Name).ToHashSet();
        var matMuls = WeightedMatMuls.FindAll(proto.Graph, resolvedRecipe.Nodes);
        var hessians = weights.Algorithm == "gptq" ? GptqHessians(model, matMuls, calibration, ct) : null;
        if (hessians is not null && calibration!.Synthetic)
            warnings.Add("GPTQ's Hessians came from synthetic inputs generated from the model's input specs; with real " +
                "calibration data it fits the weights to the inputs the model will see.");
        int withoutHessian = 0, done = 0, notSmaller = 0;
        foreach (var m in matMuls)
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report(start + (1 - start) * done++ / matMuls.Count);
            int mBits = bits;
            if (options.BitsOf is { } bitsOf)
            {
                if (bitsOf(m) is not { } chosen)
                    continue;
                mBits = chosen;
            }
            int block = BlockOf(m, blockSize, options, graphOutputs);
            // A weight so small or thin that its padded blocks, scales and zero points outweigh its fp32 bytes stays
            // fp32 (unless a bit-width search placed it, which counts the bytes itself).
            if (options.BitsOf is null && MatMulNBitsPacker.ByteCount(m.K, m.N, mBits, block, symmetric) >= 4L * m.K * m.N)
            {
                notSmaller++;
                continue;
            }
            double[]? hessian = null;
            if (hessians is not null && (hessian = m.Scope.IsMain ? hessians.For(m.Input) : null) is null)
                withoutHessian++;
            // GPTQ's result depends on the input too: a weight shared by MatMuls with different inputs is quantized per input.
            var weight = captured.For(m, hessian is null ? $"{mBits}/{block}" : $"{mBits}/{block}/{m.Input}", editor =>
            {
                var w = m.ReadWeight(model);
                if (awqRowScales?.GetValueOrDefault(m.Output) is { } rowScales)
                    SmoothQuant.ScaleWeightRows(w, m.K, m.N, rowScales);
                var packed = hessian is not null
                    ? MatMulNBitsPacker.PackQuantized(Gptq.Quantize(w, m.K, m.N, hessian, mBits, block, symmetric), mBits, block)
                    : Rounded(w, m.K, m.N, mBits, block, symmetric, options.ClipSearch, awqRowWeights?.GetValueOrDefault(m.Node.Output[0]));
                return Store(editor, m.WeightName, packed, WeightError.Relative(w, MatMulNBitsPacker.Dequantize(packed)));
            });
            Replace(editors.Of(m.Scope.Graph), m, weight, m.ReadGemmBias(model), options.AccuracyLevel);
            reports.Add(new NodeReport(m.ReportName, m.Node.OpType, mBits == bits ? type : TypeWithBits(type, mBits), mBits, null, weight.Error));
        }
        if (notSmaller > 0)
            warnings.Add($"{notSmaller} MatMul weight(s) stay fp32: at {bits} bits in blocks of {blockSize} their blocks, scales and zero " +
                "points would take more bytes than their fp32 values (too few rows or columns).");
        if (withoutHessian > 0)
            warnings.Add($"{withoutHessian} MatMul(s) inside If/Loop/Scan subgraphs have no calibration inputs to measure, so GPTQ " +
                "could not run there: they were rounded to nearest with the clip search instead.");
        if (reports.Count == 0)
            warnings.Add("No MatMul with a constant 2-D float weight was selected: the model is unchanged.");
        else
        {
            editors.Main.EnsureOpset(Domain, 1);
            editors.Tidy(options.FuseSharedInput ? editor => SharedInputFusion.Fuse(editor) : null);
        }
        progress?.Report(1.0);
        return new QuantizedModel(proto, reports, warnings, Simulated: false);
    }

    /// <summary>Round to nearest, with the clip search when asked (its rows weighed when given): every rounding but GPTQ's.</summary>
    internal static MatMulNBitsWeights Rounded(float[] w, int k, int n, int bits, int block, bool symmetric, bool clipSearch,
        float[]? rowWeights = null) =>
        clipSearch
            ? MatMulNBitsPacker.PackQuantized(ClipSearch.Quantize(w, k, n, bits, block, symmetric, rowWeights: rowWeights), bits, block)
            : MatMulNBitsPacker.Pack(w, k, n, bits, block, symmetric);

    /// <summary>
    /// <see cref="AwqScaling"/>, its loss measured with the rounding each MatMul will get. The clip search weighs rows
    /// by their inputs' energy, as AWQ's clip search weighs by output error: by weight error alone it would shrink the
    /// blocks' ranges onto the scaled-up salient rows.
    /// </summary>
    private static AwqScaling.Outcome AwqScaled(OnnxModel model, Recipe recipe, SampleFeed? calibration, int blockSize, MatMulNBitsOptions options,
        int bits, bool symmetric, List<string> warnings, IProgress<double>? progress, CancellationToken ct)
    {
        var feed = calibration ?? throw new ArgumentException("AWQ needs calibration samples: its scales come from the MatMuls' inputs.",
            nameof(calibration));
        var graphOutputs = model.Proto.Graph.Output.Select(o => o.Name).ToHashSet();
        var blocks = WeightedMatMuls.FindAll(model.Proto.Graph, recipe.Nodes).Where(m => m.Scope.IsMain)
            .ToDictionary(m => m.Node.Output[0], m => BlockOf(m, blockSize, options, graphOutputs));
        // A MatMul the recipe leaves out stays float: no rounding error to weigh.
        var outcome = AwqScaling.Apply(model, feed, node => blocks.TryGetValue(node.Output[0], out int block)
            ? (w, k, n, h) => MatMulNBitsPacker.Dequantize(Rounded(w, k, n, bits, block, symmetric, options.ClipSearch, h))
            : null, progress, ct);
        if (outcome.Sites == 0)
            warnings.Add("AWQ found no LayerNormalization feeding MatMuls whose scales it could fold: the weights were rounded to nearest.");
        if (outcome.Unmeasured > 0)
            warnings.Add($"AWQ skipped {outcome.Unmeasured} LayerNormalization(s) whose calibration outputs hold NaN or infinity: " +
                "their MatMuls were rounded to nearest.");
        if (feed.Synthetic)
            warnings.Add("AWQ's scales came from synthetic inputs generated from the model's input specs; with real calibration " +
                "data they weigh the channels the model will see.");
        return outcome;
    }

    /// <summary>X^T X of each main-graph MatMul input over the calibration samples (subgraph tensors cannot be
    /// captured), measured in graph order within a memory budget.</summary>
    private static HessianBatches GptqHessians(OnnxModel model, IReadOnlyList<WeightedMatMul> matMuls, SampleFeed? calibration,
        CancellationToken ct)
    {
        var feed = calibration ?? throw new ArgumentException("GPTQ needs calibration samples: its Hessians come from the MatMuls' inputs.",
            nameof(calibration));
        var inputs = matMuls.Where(m => m.Scope.IsMain).Select(m => (m.Input, m.K)).Distinct().ToList();
        return new HessianBatches(model, inputs, feed, cancellationToken: ct);
    }

    /// <summary>A packed weight's initializers (ZeroPoints "" when symmetric) and its relative error.</summary>
    private sealed record StoredWeight(MatMulNBitsWeights Packed, string B, string Scales, string ZeroPoints, double Error);

    private static StoredWeight Store(GraphEditor editor, string prefix, MatMulNBitsWeights packed, double error)
    {
        var b = editor.AddInitializer(TensorData.Create<byte>($"{prefix}_Q{packed.Bits}", packed.B,
            packed.BShape.Select(d => (long)d).ToArray()));
        var scales = editor.AddInitializer(TensorData.Create<float>($"{prefix}_scales", packed.Scales, [packed.Scales.Length]));
        var zeroPoints = packed.Symmetric ? "" : editor.AddInitializer(
            TensorData.Create<byte>($"{prefix}_zero_points", packed.ZeroPoints, [packed.ZeroPoints.Length]));
        return new StoredWeight(packed, b, scales, zeroPoints, error);
    }

    /// <summary>B, scales and zero points of the main graph's MatMulNBits nodes, as written.</summary>
    public static long PackedWeightBytes(ModelProto model)
    {
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        return model.Graph.Node.Where(n => n.OpType == "MatMulNBits").SelectMany(n => n.Input.Skip(1).Take(3))
            .Where(initializers.ContainsKey).Sum(name => TensorLayout.ByteSize(initializers[name]) ?? 0);
    }

    /// <summary>The block size a MatMul gets: the recipe's, or the finer head block for a MatMul that writes a graph output.</summary>
    public static int BlockOf(WeightedMatMul m, int blockSize, MatMulNBitsOptions options, HashSet<string> graphOutputs) =>
        IsHead(m, graphOutputs) && options.HeadBlockSize is { } head ? Math.Min(head, blockSize) : blockSize;

    /// <summary>"int4" with 8 bits is "int8", "uint4" is "uint8".</summary>
    private static string TypeWithBits(string type, int bits) => type.StartsWith('u') ? $"uint{bits}" : $"int{bits}";

    // Only a main-graph output is the model's: a subgraph's outputs feed its If, Loop or Scan.
    private static bool IsHead(WeightedMatMul m, HashSet<string> graphOutputs) =>
        m.Scope.IsMain && graphOutputs.Contains(m.BiasAdd is { } add ? add.Output[0] : m.Output);

    private static void Replace(GraphEditor editor, WeightedMatMul m, StoredWeight weight, float[]? gemmBias, long accuracyLevel)
    {
        var packed = weight.Packed;
        var inputs = new List<string> { m.Input, weight.B, weight.Scales, weight.ZeroPoints };
        var output = m.Output;
        // Inputs: A, B, scales, zero_points, g_idx, bias.
        if (m.BiasAdd is { } add)
        {
            inputs.AddRange(["", m.BiasName!]);
            output = add.Output[0];
            editor.RemoveNode(add);
        }
        else if (gemmBias is not null)
            inputs.AddRange(["", editor.AddInitializer(TensorData.Create<float>($"{m.WeightName}_bias", gemmBias, [m.N]))]);
        while (inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
        editor.AddNode("MatMulNBits", inputs, [output], m.Node.Name.Length > 0 ? m.Node.Name + "_Q" + packed.Bits : null, Domain,
            Attributes.Int("K", packed.K), Attributes.Int("N", packed.N), Attributes.Int("bits", packed.Bits),
            Attributes.Int("block_size", packed.BlockSize), Attributes.Int("accuracy_level", accuracyLevel));
        editor.RemoveNode(m.Node);
    }
}
