namespace Qaas.Quantization.Formats;

/// <summary>
/// Scales and zero points for one tensor, laid out as ONNX QuantizeLinear expects them:
/// a scalar (per-tensor), a 1-D [Axis] vector (per-channel), or the input shape with the axis dimension
/// replaced by ceil(Axis / BlockSize) (per-block).
/// </summary>
public sealed record TensorQuantParams(
    QuantType Type,
    Granularity Granularity,
    int Axis,
    int BlockSize,
    float[] Scales,
    int[] ZeroPoints,
    int[] ParamShape)
{
    public int QMin => Type.QMin();
    public int QMax => Type.QMax();

    /// <summary>Index into <see cref="Scales"/> for element (outer, axisIndex, inner) of the tensor.</summary>
    public int ParamIndex(AxisLayout layout, int outer, int axisIndex, int inner) => Granularity switch
    {
        Granularity.PerTensor => 0,
        Granularity.PerChannel => axisIndex,
        _ => (outer * layout.BlockCount(BlockSize) + axisIndex / BlockSize) * layout.Inner + inner,
    };
}
