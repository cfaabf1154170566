using Qaas.Onnx.Proto;

namespace Qaas.Quantization.Static;

/// <summary>Where the Q/DQ pairs go around one selected node.</summary>
/// <param name="InputTensors">Activation tensors read through a shared Q->DQ (calibrated).</param>
/// <param name="ConstantInputs">Input indexes of float initializers stored in the activation type behind a DequantizeLinear
/// (the constant operand of Add/Mul: ORT's integer kernels want every operand quantized).</param>
/// <param name="WeightInput">Input index of the initializer weight (Weighted role), stored quantized behind a DequantizeLinear.</param>
/// <param name="WeightAxis">Output-channel axis of the weight for per-channel scales, or null when only per-tensor fits.</param>
/// <param name="BiasInput">Input index of a float bias that can be stored as int32 (scale = x_scale * w_scale), or null.</param>
/// <param name="OutputTensor">The tensor whose Q->DQ closes the pattern: the node's output, or the output of a
/// Relu/Clip that alone reads it (the Q then absorbs the activation).</param>
/// <param name="OutputSharesInputParams">The output Q must use the first input's scale and zero point (SharedParams role).</param>
public sealed record QdqNodePlan(
    NodeProto Node,
    QdqRole Role,
    IReadOnlyList<string> InputTensors,
    IReadOnlyList<int> ConstantInputs,
    int? WeightInput,
    int? WeightAxis,
    int? BiasInput,
    string OutputTensor,
    bool OutputSharesInputParams);
