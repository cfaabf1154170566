using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;

namespace Qaas.Quantization.WeightOnly;

/// <summary>
/// A MatMul (or Gemm with transA = 0) of some graph whose B input is a 2-D float32 constant (an initializer or a
/// Constant node, of its own graph or captured from an enclosing one), seen as Y = X W[K, N] + bias. For a MatMul,
/// <see cref="BiasAdd"/> is the Add of a constant [N] bias that directly follows it (when nothing else reads the
/// MatMul's output); for a Gemm, the bias is beta * C.
/// </summary>
public sealed record WeightedMatMul(NodeProto Node, string WeightName, TensorProto Weight, int K, int N, NodeProto? BiasAdd, string? BiasName)
{
    public string Input => Node.Input[0];
    public string Output => Node.Output[0];
    public bool IsGemm => Node.OpType == "Gemm";

    /// <summary>The graph holding the node.</summary>
    public required GraphScope Scope { get; init; }

    /// <summary>The graph defining the weight: <see cref="Scope"/>, or an enclosing graph when the weight is captured.</summary>
    public required GraphScope WeightScope { get; init; }

    /// <summary>The node as reports name it (see <see cref="GraphScope.NameOf"/>).</summary>
    public string ReportName => Scope.NameOf(Node);

    /// <summary>What, besides the weight itself, decides <see cref="ReadWeight"/>'s result: two uses with the same form read the same W.</summary>
    public string WeightForm => FormattableString.Invariant($"{TransposedWeight}|{Alpha}");

    /// <summary>Gemm only: B is stored [N, K] (transB = 1).</summary>
    public bool TransposedWeight { get; init; }

    public float Alpha { get; init; } = 1;
    public float Beta { get; init; } = 1;

    /// <summary>Gemm only: C, with 1 or N elements.</summary>
    public TensorProto? GemmBias { get; init; }

    /// <summary>W[K, N] as the product uses it (Gemm's transB and alpha applied).</summary>
    public float[] ReadWeight(OnnxModel? model)
    {
        var b = TensorData.ReadAsFloat(Weight, model);
        if (!TransposedWeight && Alpha == 1) return b;
        var w = TransposedWeight ? new float[b.Length] : b;
        for (int k = 0; k < K; k++)
            for (int n = 0; n < N; n++)
                w[k * N + n] = Alpha * (TransposedWeight ? b[n * K + k] : b[k * N + n]);
        return w;
    }

    /// <summary>Gemm only: beta * C broadcast to [N], or null without C.</summary>
    public float[]? ReadGemmBias(OnnxModel? model)
    {
        if (GemmBias is null) return null;
        var c = TensorData.ReadAsFloat(GemmBias, model);
        var bias = new float[N];
        for (int n = 0; n < N; n++) bias[n] = Beta * c[c.Length == 1 ? 0 : n];
        return bias;
    }
}
