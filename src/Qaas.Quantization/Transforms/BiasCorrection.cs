using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Static;

namespace Qaas.Quantization.Transforms;

/// <summary>
/// Empirical bias correction, Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and Bias
/// Correction" (section 4.2, with E[x] measured on calibration data):
/// <code>
/// eps = W_q - W                         // the weight's quantization error
/// E[y_q] - E[y] = eps · E[x]            // the shift it adds to every output channel's mean
/// b' = b - eps · E[x]                   // so the quantized layer keeps the float layer's mean
/// </code>
/// For a Conv, E[x] is one mean per input channel (zero padding at the borders is ignored); for a Gemm, per column
/// of A. Applies to Conv and Gemm (transA = 0) whose bias can be stored as int32; a Conv without a bias gets one.
/// </summary>
public sealed class BiasCorrection
{
    // Each corrected node's input as it was measured: Q/DQ insertion later renames a graph input's readers.
    private readonly Dictionary<NodeProto, double[]> _inputMeans = new(ReferenceEqualityComparer.Instance);

    /// <param name="inputMeans">Channel means of <see cref="MeasuredInputs"/>, measured before any Q/DQ is inserted.</param>
    public BiasCorrection(IEnumerable<QdqNodePlan> plans, IReadOnlyDictionary<string, double[]> inputMeans)
    {
        foreach (var p in plans.Where(Applies))
            if (inputMeans.TryGetValue(p.Node.Input[0], out var mean))
                _inputMeans[p.Node] = mean;
    }

    /// <summary>How many biases <see cref="Correct"/> has rewritten.</summary>
    public int Corrected { get; private set; }

    /// <summary>The weighted nodes this transform can correct.</summary>
    public static bool Applies(QdqNodePlan plan) => plan.Role == QdqRole.Weighted && plan.Node.OpType switch
    {
        "Conv" => plan.WeightAxis == 0,
        "Gemm" => plan.BiasInput is not null && (Attributes.Find(plan.Node, "transA")?.I ?? 0) == 0,
        _ => false,
    };

    /// <summary>Gives every correctable Conv without a bias a zero bias, so there is a bias to correct.</summary>
    public static IReadOnlyList<QdqNodePlan> AddMissingBiases(GraphEditor editor, IReadOnlyList<QdqNodePlan> plans) =>
        plans.Select(p =>
        {
            if (!Applies(p) || p.BiasInput is not null || p.Node.OpType != "Conv")
                return p;
            Graph.ConvBias.Ensure(editor, p.Node);
            return p with { BiasInput = 2 };
        }).ToList();

    /// <summary>The tensors whose channel means <see cref="Correct"/> needs.</summary>
    public static IReadOnlyCollection<string> MeasuredInputs(IEnumerable<QdqNodePlan> plans) =>
        plans.Where(Applies).Select(p => p.Node.Input[0]).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Rewrites the node's float bias initializer to b - eps · E[x] (a new initializer, as a bias may be shared).
    /// </summary>
    /// <param name="error">W_q - W, in W's layout.</param>
    /// <returns>False when the node's input was never measured (e.g. its channel count varied).</returns>
    public bool Correct(GraphEditor editor, QdqNodePlan plan, float[] error, int[] weightShape, Onnx.Io.OnnxModel source)
    {
        var node = plan.Node;
        if (plan.BiasInput is not { } biasInput || !_inputMeans.TryGetValue(node, out var mean))
            return false;
        var shift = node.OpType == "Conv" ? ConvShift(node, error, weightShape, mean) : GemmShift(node, error, weightShape, mean);
        if (shift is null)
            return false;
        var biasTensor = editor.FindInitializer(node.Input[biasInput])!;
        var bias = TensorData.Read<float>(biasTensor, source);
        if (bias.Length != shift.Length)
            return false;
        for (int c = 0; c < bias.Length; c++)
            bias[c] = (float)(bias[c] - shift[c]);
        node.Input[biasInput] = editor.AddInitializer(TensorData.Create<float>(
            editor.Names.Fresh(node.Input[biasInput] + "_corrected"), bias, biasTensor.Dims.ToArray()));
        Corrected++;
        return true;
    }

    // W[M, C/group, k...]: output channel m of group g reads input channels g*C/group .. (g+1)*C/group - 1.
    private static double[]? ConvShift(NodeProto conv, float[] error, int[] shape, double[] mean)
    {
        int outputs = shape[0], perGroup = shape[1];
        long group = Attributes.Find(conv, "group")?.I ?? 1;
        if (mean.Length != perGroup * group || outputs % group != 0)
            return null;
        int kernel = error.Length / (outputs * perGroup), outputsPerGroup = (int)(outputs / group);
        var shift = new double[outputs];
        for (int m = 0; m < outputs; m++)
        {
            int firstInput = m / outputsPerGroup * perGroup;
            double s = 0;
            for (int c = 0; c < perGroup; c++)
            {
                double sum = 0;
                var row = error.AsSpan((m * perGroup + c) * kernel, kernel);
                foreach (var e in row) sum += e;
                s += sum * mean[firstInput + c];
            }
            shift[m] = s;
        }
        return shift;
    }

    // y = alpha * A B + beta * C, B as [K, N] (or [N, K] with transB): C' = C - alpha * (eps^T E[a]) / beta.
    private static double[]? GemmShift(NodeProto gemm, float[] error, int[] shape, double[] mean)
    {
        bool transB = (Attributes.Find(gemm, "transB")?.I ?? 0) != 0;
        float alpha = Attributes.Find(gemm, "alpha")?.F ?? 1f, beta = Attributes.Find(gemm, "beta")?.F ?? 1f;
        int k = shape[transB ? 1 : 0], n = shape[transB ? 0 : 1];
        if (mean.Length != k || beta == 0)
            return null;
        var shift = new double[n];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++)
                shift[j] += error[transB ? j * k + i : i * n + j] * mean[i];
        for (int j = 0; j < n; j++)
            shift[j] *= alpha / beta;
        return shift;
    }
}
