using System.Runtime.InteropServices;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Tests;

public class QuantizeLinearTests
{
    [Fact]
    public void OnnxUInt8ExampleIsReproduced()
    {
        // The QuantizeLinear example from the ONNX operator documentation.
        float[] x = [0, 2, 3, 1000, -254, -1000];
        var q = new byte[6];
        QuantizeLinear.ToUInt8(x, 2f, 128, q);
        Assert.Equal(new byte[] { 128, 129, 130, 255, 1, 0 }, q);
    }

    [Fact]
    public void RoundsHalfToEvenAndSaturates()
    {
        float[] x = [2.5f, 3.5f, -2.5f, 0.5f, -0.5f, 1.5f, 1000f, -1000f, 126.5f];
        var q = new sbyte[x.Length];
        QuantizeLinear.ToInt8(x, 1f, 0, q);
        Assert.Equal(new sbyte[] { 2, 4, -2, 0, 0, 2, 127, -128, 126 }, q);
    }

    [Fact]
    public void VectorPathAgreesWithScalarDefinition()
    {
        // Many exact ties (k + 0.5) and out-of-range values, long enough for the vector loop plus a tail.
        var x = new float[1037];
        var random = new Random(5);
        for (int i = 0; i < x.Length; i++)
            x[i] = i % 3 == 0 ? (random.Next(-300, 300) + 0.5f) * 0.25f : (float)(random.NextDouble() * 200 - 100);
        foreach (var (type, scale, zp) in new[] { (QuantType.Int8, 0.25f, 3), (QuantType.UInt8, 0.5f, 120), (QuantType.Int4, 0.25f, 0), (QuantType.UInt4, 1f, 8) })
        {
            var q = new byte[x.Length];
            QuantizeLinear.ToBytes(x, new QuantParams(scale, zp), type, q);
            for (int i = 0; i < x.Length; i++)
            {
                int expected = QuantizeLinear.Scalar(x[i], scale, zp, type.QMin(), type.QMax());
                int actual = type.IsSigned() ? (sbyte)q[i] : q[i];
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void PerElementParametersAgreeWithUniformKernel()
    {
        var x = TestData.Uniform(100, -5, 5, 7);
        var scales = TestData.Uniform(100, 0.01f, 0.1f, 8);
        var zps = new float[100];
        for (int i = 0; i < zps.Length; i++) zps[i] = i % 7 - 3;
        var q = new byte[100];
        QuantizeLinear.ToBytes(x, scales, zps, -128, 127, q);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(QuantizeLinear.Scalar(x[i], scales[i], (int)zps[i], -128, 127), (sbyte)q[i]);
    }

    [Fact]
    public void NaNMapsToTheZeroPoint()
    {
        var x = new float[40];
        x[3] = float.NaN;
        x[39] = float.NaN;
        var q = new byte[40];
        QuantizeLinear.ToUInt8(x, 0.1f, 77, q);
        Assert.Equal(77, q[3]);
        Assert.Equal(77, q[39]);
    }

    [Theory]
    [InlineData(QuantType.Int8, true)]
    [InlineData(QuantType.Int8, false)]
    [InlineData(QuantType.UInt8, false)]
    [InlineData(QuantType.UInt8, true)]
    [InlineData(QuantType.Int4, true)]
    [InlineData(QuantType.UInt4, false)]
    public void RoundTripErrorIsAtMostHalfAScale(QuantType type, bool symmetric)
    {
        var x = TestData.Uniform(999, -2.5f, 4f, seed: 11);
        var (min, max) = TensorRanges.PerTensor(x);
        var p = QuantParamsCalculator.FromRange(min, max, type, symmetric);
        var q = new byte[x.Length];
        var back = new float[x.Length];
        QuantizeLinear.ToBytes(x, p, type, q);
        DequantizeLinear.FromBytes(q, type.IsSigned(), p.Scale, p.ZeroPoint, back);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(back[i] - x[i]) <= p.Scale / 2 * 1.0001f, $"{x[i]} -> {back[i]} (scale {p.Scale})");
    }

    [Fact]
    public void Int16RoundTrip()
    {
        var x = TestData.Uniform(100, -1, 1, 4);
        var p = QuantParamsCalculator.FromRange(-1, 1, QuantType.Int16, symmetric: true);
        var q = new short[100];
        var back = new float[100];
        QuantizeLinear.ToInt16(x, p.Scale, p.ZeroPoint, q);
        DequantizeLinear.FromInt16(q, p.Scale, p.ZeroPoint, back);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(back[i] - x[i]) <= p.Scale / 2 * 1.0001f);
        QuantizeLinear.ToInt16([1e9f, -1e9f], 1f, 0, q.AsSpan(0, 2));
        Assert.Equal(short.MaxValue, q[0]);
        Assert.Equal(short.MinValue, q[1]);
    }

    [Fact]
    public void DequantizeVectorAndScalarPathsAgree()
    {
        var raw = new byte[100];
        new Random(9).NextBytes(raw);
        var signed = new float[100];
        var unsigned = new float[100];
        DequantizeLinear.FromInt8(MemoryMarshal.Cast<byte, sbyte>(raw), 0.5f, -3, signed);
        DequantizeLinear.FromUInt8(raw, 0.5f, 130, unsigned);
        for (int i = 0; i < raw.Length; i++)
        {
            Assert.Equal(((sbyte)raw[i] + 3) * 0.5f, signed[i]);
            Assert.Equal((raw[i] - 130) * 0.5f, unsigned[i]);
        }
    }

    [Fact]
    public void Float8QuantizationUsesTheFullRangeWithZeroZeroPoint()
    {
        var x = TestData.Gaussian(500, 3, 13);
        var (min, max) = TensorRanges.PerTensor(x);
        var p = QuantParamsCalculator.ForFloatType(min, max, QuantType.Float8E4M3FN);
        Assert.Equal(0, p.ZeroPoint);
        var codes = new byte[x.Length];
        QuantizeLinear.ToMiniFloat(x, p.Scale, MiniFloatFormat.E4M3FN, codes);
        float absMax = Math.Max(-min, max);
        for (int i = 0; i < x.Length; i++)
        {
            float back = MiniFloatFormat.E4M3FN.Decode(codes[i]) * p.Scale;
            // 3 mantissa bits: relative error at most 2^-4, plus the subnormal step near zero.
            Assert.True(Math.Abs(back - x[i]) <= Math.Abs(x[i]) / 16 + p.Scale * MathF.ScaleB(1, -10));
            if (Math.Abs(x[i]) == absMax)
                Assert.Equal(0x7E, codes[i] & 0x7F);
        }
    }
}
