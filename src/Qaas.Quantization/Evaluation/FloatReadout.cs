using System.Numerics.Tensors;
using Qaas.Runtime.Tensors;
using Tensor = Qaas.Runtime.Tensors.Tensor;

namespace Qaas.Quantization.Evaluation;

/// <summary>
/// Reads a floating-point output as float32 (fp16, bf16 and double converted) into a reusable buffer, so comparing
/// many samples does not allocate per sample.
/// </summary>
internal sealed class FloatReadout
{
    private float[] _buffer = [];

    public static bool IsFloat(TensorElementType t) =>
        t is TensorElementType.Float or TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Double;

    public ReadOnlySpan<float> Read(Tensor t)
    {
        if (t.ElementType == TensorElementType.Float) return t.AsSpan<float>();
        var n = checked((int)t.ElementCount);
        if (_buffer.Length < n) _buffer = new float[n];
        var span = _buffer.AsSpan(0, n);
        switch (t.ElementType)
        {
            case TensorElementType.Float16:
                TensorPrimitives.ConvertToSingle(t.AsSpan<Half>(), span);
                break;
            case TensorElementType.BFloat16:
                var b = t.AsSpan<BFloat16>();
                for (var i = 0; i < n; i++) span[i] = (float)b[i];
                break;
            case TensorElementType.Double:
                var d = t.AsSpan<double>();
                for (var i = 0; i < n; i++) span[i] = (float)d[i];
                break;
            default:
                throw new NotSupportedException($"{t.ElementType} is not a floating-point type.");
        }
        return span;
    }
}
