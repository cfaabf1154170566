using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Algorithms;

namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// recipe "prefill": "int8". ONNX Runtime's MatMulNBits kernel is fast for one row (a decode step reads half the bytes
/// of int8) but barely beats fp32 at many rows (a prompt), where int8 GEMM is several times faster. The model becomes
/// <code>
/// If(rows of the first input == 1)
///   then: the MatMulNBits graph as it was
///   else: the same graph with each 4- or 8-bit MatMulNBits replaced by DynamicQuantizeMatMul on int8 weights
/// </code>
/// The int8 weights are not stored: a chain of constant ops at the start of the else-branch unpacks the blocks,
/// dequantizes them and rounds them to int8 per column, and ONNX Runtime folds it when the session is created.
/// The file keeps only the packed weights (plus a scale and zero point per column); the
/// session holds both forms, and its creation takes longer.
/// </summary>
public static class PrefillBranch
{
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>Recipe prefill "auto" adds the int8 path only while its weights (one byte per MatMul weight, held by a
    /// session beside the packed ones) stay within this: a model of up to about a billion MatMul weights.</summary>
    public const long AutoBudgetBytes = 1L << 30;

    /// <summary>Bytes of int8 weights the path would add to a session: K·N per 4- or 8-bit MatMulNBits of the main graph.</summary>
    public static long TwinBytes(GraphProto graph) =>
        graph.Node.Where(IsPacked).Sum(n => (long)Int(n, "K") * Int(n, "N"));

    /// <summary>Applies recipe.prefill to a MatMulNBits model: "int8" always; "auto" where it is meant to help (a model
    /// with token-id input and 4-bit weights, run on the CPU, where ONNX Runtime has DynamicQuantizeMatMul) and within
    /// <paramref name="autoBudgetBytes"/>; "none" (or null) never.</summary>
    /// <returns>The report's note on it, or null when there is nothing to say.</returns>
    public static string? ApplyFor(ModelProto model, string? prefill, string? executionProvider, long autoBudgetBytes = AutoBudgetBytes)
    {
        if (prefill is not ("int8" or "auto")) return null;
        bool auto = prefill == "auto";
        if (auto)
        {
            bool meant = executionProvider is null or "cpu" && TakesTokenIds(model.Graph)
                && model.Graph.Node.Any(n => IsPacked(n) && Int(n, "bits") == 4);
            if (!meant) return null;
            if (TwinBytes(model.Graph) is var twinBytes && twinBytes > autoBudgetBytes)
                return $"prefill auto: no int8 path for many-row inputs: its weights would hold {twinBytes >> 20} MiB in a session, " +
                       $"above the {autoBudgetBytes >> 20} MiB that \"auto\" allows; \"prefill\": \"int8\" adds it anyway.";
        }
        int twins = Apply(model);
        if (twins > 0)
            return $"prefill int8: {twins} MatMulNBits got an int8 twin (DynamicQuantizeMatMul) that runs when the input has more " +
                   "than one row; the int8 weights are derived when ONNX Runtime loads the model, so the file stays 4-bit, while a " +
                   "session holds both forms and takes longer to create.";
        return auto ? null // nothing it applies to: "auto" stays quiet
            : "prefill int8 found no 4- or 8-bit MatMulNBits in the main graph (or the main graph has If/Loop/Scan nodes of its own, " +
              "no input to count rows of, or an opset below 13); the model keeps its single MatMulNBits path.";
    }

    // The input whose rows are counted: the first graph input that is not an initializer.
    private static ValueInfoProto? RowsSource(GraphProto graph) =>
        graph.Input.FirstOrDefault(i => !graph.Initializer.Any(t => t.Name == i.Name));

    private static bool TakesTokenIds(GraphProto graph) => RowsSource(graph) is { } input && IsTokenIds(input);

    private static bool IsTokenIds(ValueInfoProto input) =>
        input.Type?.TensorType?.ElemType is (int)TensorProto.Types.DataType.Int64 or (int)TensorProto.Types.DataType.Int32;

    private static bool IsPacked(NodeProto n) => n.OpType == "MatMulNBits" && n.Domain == MicrosoftDomain && Int(n, "bits") is 4 or 8;

    /// <returns>How many MatMulNBits nodes got an int8 twin (0: the model is unchanged; also for a main graph with
    /// control flow of its own, or an opset below 13).</returns>
    public static int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var packed = graph.Node.Where(IsPacked).ToHashSet(ReferenceEqualityComparer.Instance);
        var rowsSource = RowsSource(graph);
        // Subgraphs of control-flow nodes read main-graph names, which the branches rename: such models keep one path.
        bool controlFlow = graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0));
        // Per-axis QuantizeLinear (the int8 rounding) needs opset 13.
        long opset = model.OpsetImport.FirstOrDefault(i => i.Domain is "" or "ai.onnx")?.Version ?? 0;
        // Only computed outputs pass through the If: a graph output that is a graph input or an initializer is already
        // defined in the main graph, and a branch may not return an outer value as it is.
        var produced = graph.Node.SelectMany(n => n.Output).Where(o => o.Length > 0).ToHashSet(StringComparer.Ordinal);
        var routed = graph.Output.Where(o => produced.Contains(o.Name)).ToList();
        if (packed.Count == 0 || rowsSource is null || controlFlow || opset < 13 || routed.Count == 0)
            return 0;
        var editor = new GraphEditor(model);
        // Constant nodes would otherwise be copied, bytes and all, into both branches.
        editor.PromoteConstantsToInitializers();
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var chains = new List<NodeProto>();
        var single = new GraphProto { Name = "single_row" };
        var prefill = new GraphProto { Name = "many_rows" };
        var twins = new List<NodeProto>();
        foreach (var node in graph.Node)
        {
            single.Node.Add(node.Clone());
            twins.Add(packed.Contains(node) ? Int8Twin(node, initializers, editor, chains) : node.Clone());
        }
        // The chains live in the branch that uses them: ORT folds them there too, and creates the session 2-3x faster
        // than with them in the main graph (4.4 against 8.3 s for the 67M test transformer).
        prefill.Node.AddRange(chains);
        prefill.Node.AddRange(twins);
        Scope(single, editor.Names.Fresh("single_row") + "/", routed);
        Scope(prefill, editor.Names.Fresh("many_rows") + "/", routed);

        graph.Node.Clear();
        var condition = SingleRow(editor, rowsSource);
        var branch = new NodeProto { OpType = "If", Name = editor.Names.Fresh("single_row_or_many") };
        branch.Input.Add(condition);
        branch.Output.AddRange(routed.Select(o => o.Name));
        branch.Attribute.Add(Attributes.Graph("then_branch", single));
        branch.Attribute.Add(Attributes.Graph("else_branch", prefill));
        graph.Node.Add(branch);
        // Shapes inferred for the old main-graph tensors no longer name anything there.
        graph.ValueInfo.Clear();
        return packed.Count;
    }

    // rows == 1, for a token-id input (rows = its element count) or a float one (element count / last dimension).
    private static string SingleRow(GraphEditor editor, ValueInfoProto input)
    {
        string Add(string op, string[] inputs, params AttributeProto[] attributes)
        {
            var output = editor.Names.Fresh("prefill_" + op.ToLowerInvariant());
            editor.AddNode(op, inputs, [output], output, "", attributes);
            return output;
        }
        string Constant(string name, long value) => editor.AddInitializer(TensorData.Create<long>(editor.Names.Fresh(name), [value], []));
        var size = Add("Size", [input.Name]);
        bool tokens = IsTokenIds(input);
        var rows = tokens
            ? size
            : Add("Div", [size, Add("Gather", [Add("Shape", [input.Name]), Constant("prefill_last_axis", -1)], Attributes.Int("axis", 0))]);
        return Add("Equal", [rows, Constant("prefill_one_row", 1)]);
    }

    // DynamicQuantizeMatMul(A, W8, column scales, bias) and, into chains, the constant ops that make W8 from B.
    private static NodeProto Int8Twin(NodeProto node, Dictionary<string, TensorProto> initializers, GraphEditor editor,
        List<NodeProto> chains)
    {
        int k = Int(node, "K"), n = Int(node, "N"), blockSize = Int(node, "block_size"), bits = Int(node, "bits");
        int blocks = (k + blockSize - 1) / blockSize;
        // Offline: each column's int8 scale, from its largest dequantized weight.
        var w = MatMulNBitsPacker.Dequantize(Weights(node, initializers, k, n, bits, blockSize));
        var columnScales = new float[n];
        for (int row = 0; row < k; row++)
            for (int c = 0; c < n; c++)
                columnScales[c] = Math.Max(columnScales[c], Math.Abs(w[row * n + c]));
        for (int c = 0; c < n; c++)
            columnScales[c] = columnScales[c] > 0 ? columnScales[c] / 127 : 1;

        string stem = editor.Names.Fresh((node.Name.Length > 0 ? node.Name : node.Output[0]) + "_int8");
        string Floats(string name, float[] v, long[] dims) => editor.AddInitializer(TensorData.Create<float>(editor.Names.Fresh(stem + name), v, dims));
        string Longs(string name, params long[] v) => editor.AddInitializer(TensorData.Create<long>(editor.Names.Fresh(stem + name), v, [v.Length]));
        string Op(string op, string[] inputs, params AttributeProto[] attributes)
        {
            var output = editor.Names.Fresh(stem + "_" + op.ToLowerInvariant());
            chains.Add(NewNode(op, output, inputs, output, "", attributes));
            return output;
        }
        var last = Longs("_last", -1);
        // Packed bytes [.., m] -> their values: 4-bit ones as nibbles [.., m, 2] (uint8), low nibble first.
        string Nibbles(string packedBytes)
        {
            if (bits == 8) return packedBytes;
            var low = Op("Mod", [packedBytes, Bytes("_sixteen", 16)]);
            var high = Op("BitShift", [packedBytes, Bytes("_four", 4)], Attributes.String("direction", "RIGHT"));
            return Op("Concat", [Op("Unsqueeze", [low, last]), Op("Unsqueeze", [high, last])], Attributes.Int("axis", -1));
        }
        string Bytes(string name, byte value) => editor.AddInitializer(TensorData.Create<byte>(editor.Names.Fresh(stem + name), [value], []));
        var perBlock = Longs("_per_block", n, blocks, 1);
        // B[N, blocks, blob] -> its values (low nibble first) as floats [N, blocks, blockSize]. Integer ops until the
        // one Cast: the folding allocates every intermediate afresh, so few full-size float tensors keep loading quick.
        var nibbles = Op("Cast", [Op("Reshape", [Nibbles(node.Input[1]), Longs("_blocks", n, blocks, blockSize)])],
            Attributes.Int("to", (int)TensorProto.Types.DataType.Float));
        // The zero points unpacked the same way ([N, blocks, 1]), or the middle of the range when the node has none.
        var zeroPointValues = node.Input.Count > 3 && node.Input[3].Length > 0
            ? Op("Cast", [Op("Reshape", [Op("Slice", [Op("Reshape", [Nibbles(node.Input[3]), Longs("_zero_point_row", n, -1)]),
                Longs("_zero", 0), Longs("_block_count", blocks), Longs("_one", 1)]), perBlock])], Attributes.Int("to", (int)TensorProto.Types.DataType.Float))
            : Floats("_middle", [1 << (bits - 1)], []);
        // (q - zero point) * scale per block, cut to K, then QuantizeLinear per column to int8, laid out [K, N].
        var dequantized = Op("Mul", [Op("Sub", [nibbles, zeroPointValues]), Op("Reshape", [node.Input[2], perBlock])]);
        var rows = Op("Reshape", [dequantized, Longs("_rows", n, (long)blocks * blockSize)]);
        if (k != blocks * blockSize)
            rows = Op("Slice", [rows, Longs("_start", 0), Longs("_end", k), Longs("_axis", 1)]);
        var columnScaleName = editor.AddInitializer(TensorData.Create<float>(editor.Names.Fresh(stem + "_column_scales"), columnScales, [n]));
        var int8ZeroPoints = editor.AddInitializer(TensorData.Create<byte>(editor.Names.Fresh(stem + "_column_zero_points"), new byte[n], [n],
            (int)TensorProto.Types.DataType.Int8));
        var int8 = Op("Transpose", [Op("QuantizeLinear", [rows, columnScaleName, int8ZeroPoints], Attributes.Int("axis", 0))],
            Attributes.Ints("perm", 1, 0));


        string bias = node.Input.Count > 5 ? node.Input[5] : "";
        string[] inputs = bias.Length > 0 ? [node.Input[0], int8, columnScaleName, "", bias] : [node.Input[0], int8, columnScaleName];
        return NewNode("DynamicQuantizeMatMul", node.Name, inputs, node.Output[0], MicrosoftDomain);
    }

    // The node's packed weight as the packer reads it; a node without zero points centres its values (8 for 4 bits,
    // 128 for 8), which packed zero points of the middle value say.
    private static MatMulNBitsWeights Weights(NodeProto node, Dictionary<string, TensorProto> initializers, int k, int n, int bits, int blockSize)
    {
        bool stored = node.Input.Count > 3 && node.Input[3].Length > 0;
        var shape = new MatMulNBitsWeights(k, n, bits, blockSize, !stored, [], [], []);
        var zeroPoints = stored
            ? TensorData.Read<byte>(initializers[node.Input[3]])
            : Enumerable.Repeat((byte)(bits == 4 ? 0x88 : 0x80), n * shape.ZeroPointBytesPerColumn).ToArray();
        return shape with
        {
            B = TensorData.Read<byte>(initializers[node.Input[1]]),
            Scales = TensorData.Read<float>(initializers[node.Input[2]]),
            ZeroPoints = zeroPoints,
        };
    }

    // A branch's own names get a prefix (its outputs too), so neither branch redefines a name of the main graph;
    // unnamed nodes stay unnamed (one shared prefix would make their names collide).
    private static void Scope(GraphProto branch, string prefix, IEnumerable<ValueInfoProto> outputs)
    {
        var produced = branch.Node.SelectMany(n => n.Output).Where(o => o.Length > 0).ToHashSet(StringComparer.Ordinal);
        foreach (var node in branch.Node)
        {
            if (node.Name.Length > 0) node.Name = prefix + node.Name;
            for (int i = 0; i < node.Input.Count; i++)
                if (produced.Contains(node.Input[i])) node.Input[i] = prefix + node.Input[i];
            for (int i = 0; i < node.Output.Count; i++)
                if (node.Output[i].Length > 0) node.Output[i] = prefix + node.Output[i];
        }
        foreach (var output in outputs)
        {
            var renamed = output.Clone();
            renamed.Name = prefix + output.Name;
            branch.Output.Add(renamed);
        }
    }

    private static NodeProto NewNode(string op, string name, string[] inputs, string output, string domain, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static int Int(NodeProto node, string name) => (int)(Attributes.Find(node, name)?.I ?? 0);
}
