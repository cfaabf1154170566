namespace Qaas.Quantization.Dynamic;

/// <summary>How a dynamically quantized MatMul is written into the graph.</summary>
public enum DynamicMatMulForm
{
    /// <summary>Standard ONNX: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul by (x_scale * w_scale); runs anywhere.</summary>
    Standard,

    /// <summary>com.microsoft DynamicQuantizeMatMul (bias folded in): ONNX Runtime only.</summary>
    Fused,
}
