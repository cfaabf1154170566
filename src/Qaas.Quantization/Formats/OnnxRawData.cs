using System.Runtime.InteropServices;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Formats;

/// <summary>
/// Converts between float arrays or quantized values and the little-endian bytes of an ONNX TensorProto's
/// raw_data for each <see cref="QuantType"/>: 16-bit floats as 2 bytes, fp8 as 1 byte, and 4-bit (or smaller)
/// types packed low bits first (two fp4/int4 values per byte, the first in the low nibble).
/// </summary>
public static class OnnxRawData
{
    /// <summary>Casts floats to a float type (fp16, bf16, fp8, fp4) with ONNX Cast(saturate=1) semantics.</summary>
    public static byte[] FromFloats(ReadOnlySpan<float> x, QuantType type)
    {
        switch (type)
        {
            case QuantType.Float16:
            {
                var bits = new ushort[x.Length];
                Float16Conversion.ToBits(x, bits);
                return MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
            }
            case QuantType.BFloat16:
            {
                var bits = new ushort[x.Length];
                BFloat16Conversion.ToBits(x, bits);
                return MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
            }
            case QuantType.Float8E4M3FN or QuantType.Float8E5M2:
            {
                var codes = new byte[x.Length];
                Format(type).Encode(x, codes);
                return codes;
            }
            case QuantType.Float4E2M1:
            {
                var codes = new byte[x.Length];
                MiniFloatFormat.E2M1.Encode(x, codes);
                return PackValues(codes, type);
            }
            default:
                throw new ArgumentException($"{type} is not an ONNX float type.", nameof(type));
        }
    }

    /// <summary>Decodes raw_data of a float type back to floats.</summary>
    public static float[] ToFloats(ReadOnlySpan<byte> raw, QuantType type, int count)
    {
        var x = new float[count];
        switch (type)
        {
            case QuantType.Float16:
                Float16Conversion.FromBits(MemoryMarshal.Cast<byte, ushort>(raw)[..count], x);
                break;
            case QuantType.BFloat16:
                BFloat16Conversion.ToFloat(MemoryMarshal.Cast<byte, ushort>(raw)[..count], x);
                break;
            case QuantType.Float8E4M3FN or QuantType.Float8E5M2:
                Format(type).Decode(raw[..count], x);
                break;
            case QuantType.Float4E2M1:
            {
                var codes = new byte[count];
                BitPacking.Unpack(raw, 4, codes);
                MiniFloatFormat.E2M1.Decode(codes, x);
                break;
            }
            default:
                throw new ArgumentException($"{type} is not an ONNX float type.", nameof(type));
        }
        return x;
    }

    /// <summary>
    /// Quantized integer values, one per byte (as <see cref="TensorQuantizer"/> produces them), to raw_data:
    /// 8-bit as is, narrower types packed (INT4/UINT4: two per byte; INT2: four per byte).
    /// </summary>
    public static byte[] PackValues(ReadOnlySpan<byte> values, QuantType type)
    {
        int bits = type.BitWidth();
        if (bits > 8)
            throw new ArgumentException($"{type} is wider than a byte.", nameof(type));
        var packed = new byte[BitPacking.PackedLength(values.Length, bits)];
        BitPacking.Pack(values, bits, packed);
        return packed;
    }

    /// <summary>Inverse of <see cref="PackValues"/>; signed types come back sign-extended (two's complement bytes).</summary>
    public static byte[] UnpackValues(ReadOnlySpan<byte> raw, QuantType type, int count)
    {
        int bits = type.BitWidth();
        var values = new byte[count];
        if (type.IsSigned() && type.IsInteger())
            BitPacking.UnpackSigned(raw, bits, MemoryMarshal.Cast<byte, sbyte>(values.AsSpan()));
        else
            BitPacking.Unpack(raw, bits, values);
        return values;
    }

    private static MiniFloatFormat Format(QuantType type) =>
        type == QuantType.Float8E4M3FN ? MiniFloatFormat.E4M3FN : MiniFloatFormat.E5M2;
}
