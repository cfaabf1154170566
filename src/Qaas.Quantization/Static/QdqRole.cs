namespace Qaas.Quantization.Static;

/// <summary>How ONNX Runtime's QDQ fusions (CPU execution provider) turn a DQ -> op -> Q pattern into an integer kernel.</summary>
public enum QdqRole
{
    /// <summary>Quantized weight initializer, optional int32 bias: QLinearConv, QLinearMatMul, QGemm.</summary>
    Weighted,

    /// <summary>Every data input and the output with their own scales: QLinearAdd/Mul/Concat/Sigmoid/LeakyRelu/(Global)AveragePool.</summary>
    Elementwise,

    /// <summary>The output keeps the input's scale and zero point; ORT then drops the pair and runs the op on uint8/int8 (MaxPool, Resize).</summary>
    SharedParams,
}
