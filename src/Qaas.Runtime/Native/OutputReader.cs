using System.Runtime.InteropServices;
using System.Text;
using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Native;

/// <summary>Copies an output OrtValue into a managed <see cref="Tensor"/>.</summary>
internal static unsafe class OutputReader
{
    public static Tensor Read(nint value, string name)
    {
        var (type, shape) = OrtValueShape.Read(value, name);
        return type == TensorElementType.String
            ? ReadStrings(value, shape)
            : ReadFixedSize(value, type, shape);
    }

    private static Tensor ReadFixedSize(nint value, TensorElementType type, long[] shape)
    {
        var byteCount = TensorElementTypeInfo.ByteCount(type, Tensor.ShapeElementCount(shape));
        void* data = null;
        if (byteCount > 0)
            OrtStatus.Check(OrtApi.GetTensorMutableData(value, &data));
        var source = new ReadOnlySpan<byte>(data, checked((int)byteCount));
        return type switch
        {
            TensorElementType.Float => Copy<float>(source),
            TensorElementType.Double => Copy<double>(source),
            TensorElementType.Float16 => Copy<Half>(source),
            TensorElementType.BFloat16 => Copy<BFloat16>(source),
            TensorElementType.Int8 => Copy<sbyte>(source),
            TensorElementType.Int16 => Copy<short>(source),
            TensorElementType.UInt16 => Copy<ushort>(source),
            TensorElementType.Int32 => Copy<int>(source),
            TensorElementType.UInt32 => Copy<uint>(source),
            TensorElementType.Int64 => Copy<long>(source),
            TensorElementType.UInt64 => Copy<ulong>(source),
            TensorElementType.Bool => Copy<bool>(source),
            TensorElementType.UInt8 => Copy<byte>(source),
            _ when TensorElementTypeInfo.IsPacked(type) => new Tensor<byte>(type, source.ToArray(), shape),
            _ => throw new NotSupportedException($"Output element type {type} is not supported."),
        };

        Tensor<T> Copy<T>(ReadOnlySpan<byte> bytes) where T : unmanaged =>
            new(type, MemoryMarshal.Cast<byte, T>(bytes).ToArray(), shape);
    }

    private static StringTensor ReadStrings(nint value, long[] shape)
    {
        var count = checked((int)Tensor.ShapeElementCount(shape));
        nuint totalBytes;
        OrtStatus.Check(OrtApi.GetStringTensorDataLength(value, &totalBytes));
        var content = new byte[(int)totalBytes];
        var offsets = new nuint[count];
        fixed (byte* contentPtr = content)
        fixed (nuint* offsetsPtr = offsets)
        {
            if (count > 0)
                OrtStatus.Check(OrtApi.GetStringTensorContent(value, contentPtr, totalBytes, offsetsPtr, (nuint)count));
        }

        // Strings are concatenated without terminators; each ends where the next begins.
        var strings = new string[count];
        for (var i = 0; i < count; i++)
        {
            var start = (int)offsets[i];
            var end = i + 1 < count ? (int)offsets[i + 1] : content.Length;
            strings[i] = Encoding.UTF8.GetString(content, start, end - start);
        }
        return Tensor.Create(strings, shape);
    }
}
