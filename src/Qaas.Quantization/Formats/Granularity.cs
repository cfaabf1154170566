namespace Qaas.Quantization.Formats;

/// <summary>How many (scale, zero point) pairs a tensor gets.</summary>
public enum Granularity
{
    /// <summary>One pair for the whole tensor.</summary>
    PerTensor,
    /// <summary>One pair per index along an axis (ONNX QuantizeLinear "axis").</summary>
    PerChannel,
    /// <summary>One pair per block of BlockSize consecutive indices along an axis (ONNX opset 21 "block_size").</summary>
    PerBlock,
}
