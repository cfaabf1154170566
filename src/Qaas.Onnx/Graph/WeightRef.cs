using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Graph;

/// <summary>Where a weight lives in the model.</summary>
public enum WeightSource
{
    /// <summary>graph.initializer</summary>
    Initializer,
    /// <summary>graph.sparse_initializer (Tensor is its values; Sparse is set)</summary>
    SparseInitializer,
    /// <summary>a Constant node's value (Node is set)</summary>
    ConstantNode,
}

/// <summary>
/// One constant tensor of the model, wherever it is stored. <see cref="Tensor"/> is the model's own proto for
/// initializers and Constant `value` attributes; <see cref="GraphPath"/> is "" for the main graph and
/// "node/attr[/...]" for subgraphs.
/// </summary>
public sealed record WeightRef(
    string Name,
    TensorProto Tensor,
    WeightSource Source,
    GraphProto Graph,
    string GraphPath,
    NodeProto? Node = null,
    SparseTensorProto? Sparse = null)
{
    public long ElementCount => TensorLayout.ElementCount(Tensor) ?? 0;
}
