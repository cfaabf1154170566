using Qaas.Onnx.Proto;
using Qaas.Quantization.Reports;

namespace Qaas.Quantization.Pipeline;

/// <summary>What a quantizer returns: the rewritten model and what it did to each node.</summary>
/// <param name="Simulated">True when ONNX Runtime cannot run the format natively and it is emitted as an exact dequantize graph.</param>
/// <param name="Search">The candidates a precision search tried and the one it chose; null when nothing was searched.</param>
public sealed record QuantizedModel(ModelProto Model, IReadOnlyList<NodeReport> Nodes, IReadOnlyList<string> Warnings, bool Simulated,
    SearchReport? Search = null);
