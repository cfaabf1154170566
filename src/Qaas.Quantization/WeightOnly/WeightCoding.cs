using System.Numerics.Tensors;
using Qaas.Quantization.Algorithms;
using Qaas.Quantization.Formats;

namespace Qaas.Quantization.WeightOnly;

/// <summary>Encodes W[K, N] block-wise along K into the formats ONNX Runtime has no kernel for: int3, NF4, FP4 (E2M1).</summary>
public static class WeightCoding
{
    public static readonly string[] Types = ["int3", "nf4", "fp4e2m1"];

    public static CodedWeight Encode(string type, ReadOnlySpan<float> w, int k, int n, int blockSize, bool symmetric) => type switch
    {
        "int3" => Int3(w, k, n, blockSize, symmetric),
        "nf4" => AbsMax(w, k, n, blockSize, NormalFloat4.CodeBook.ToArray(), 1f, NormalFloat4.Encode),
        "fp4e2m1" => AbsMax(w, k, n, blockSize, E2M1CodeBook(), MiniFloatFormat.E2M1.MaxValue, MiniFloatFormat.E2M1.Encode),
        _ => throw new NotSupportedException($"'{type}' is not a coded weight type."),
    };

    /// <summary>Unsigned 3-bit RTN (values 0..7 around a per-block zero point); the code book is the identity.</summary>
    private static CodedWeight Int3(ReadOnlySpan<float> w, int k, int n, int blockSize, bool symmetric)
    {
        var rtn = Rtn.Quantize(w, k, n, 0, 7, symmetric, blockSize);
        var zeros = Array.ConvertAll(rtn.ZeroPoints, z => (float)z);
        return new CodedWeight(k, n, rtn.BlockSize, rtn.Values, rtn.Scales, zeros, [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    /// <summary>Absmax scaling per block and column, then the nearest code (QLoRA NF4; OCP MX FP4 without the shared exponent).</summary>
    private static CodedWeight AbsMax(ReadOnlySpan<float> w, int k, int n, int blockSize, float[] codeBook, float maxCode,
        Func<float, byte> encode)
    {
        int kBlocks = k / blockSize;
        var scales = new float[kBlocks * n];
        var codes = new byte[k * n];
        var inverse = new float[n];
        var row = new float[n];
        for (int b = 0; b < kBlocks; b++)
        {
            var s = scales.AsSpan(b * n, n);
            for (int r = b * blockSize; r < (b + 1) * blockSize; r++)
            {
                TensorPrimitives.Abs(w.Slice(r * n, n), row);
                TensorPrimitives.Max(s, row, s);
            }
            for (int c = 0; c < n; c++)
            {
                s[c] /= maxCode;
                inverse[c] = s[c] > 0 ? 1f / s[c] : 0f;
            }
            for (int r = b * blockSize; r < (b + 1) * blockSize; r++)
            {
                TensorPrimitives.Multiply(w.Slice(r * n, n), inverse, row);
                for (int c = 0; c < n; c++) codes[r * n + c] = encode(row[c]);
            }
        }
        return new CodedWeight(k, n, blockSize, codes, scales, null, codeBook);
    }

    private static float[] E2M1CodeBook()
    {
        var book = new float[16];
        for (int c = 0; c < 16; c++) book[c] = MiniFloatFormat.E2M1.Decode((byte)c);
        return book;
    }
}
