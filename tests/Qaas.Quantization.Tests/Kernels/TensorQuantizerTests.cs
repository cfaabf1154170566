using Qaas.Quantization.Formats;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Tests;

public class TensorQuantizerTests
{
    public static TheoryData<int, int, QuantType, bool> Cases => new()
    {
        { 0, 0, QuantType.Int8, true },
        { 1, 0, QuantType.UInt8, false },
        { 2, 0, QuantType.Int4, true },
        { 0, 16, QuantType.Int4, true },
        { 1, 16, QuantType.UInt4, false },
        { 2, 16, QuantType.Int8, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RoundTripErrorIsAtMostHalfTheElementsScale(int axis, int blockSize, QuantType type, bool symmetric)
    {
        int[] shape = [37, 20, 18];
        var x = TestData.Gaussian(37 * 20 * 18, 2, seed: axis * 100 + blockSize);
        var p = blockSize == 0
            ? QuantParamsCalculator.PerChannel(x, shape, axis, type, symmetric)
            : QuantParamsCalculator.PerBlock(x, shape, axis, blockSize, type, symmetric);
        var q = TensorQuantizer.Quantize(x, shape, p);
        var back = TensorQuantizer.Dequantize(q, shape, p);
        var layout = AxisLayout.Of(shape, axis);
        for (int o = 0; o < layout.Outer; o++)
        for (int c = 0; c < layout.Axis; c++)
        for (int i = 0; i < layout.Inner; i++)
        {
            int at = (o * layout.Axis + c) * layout.Inner + i;
            int pi = p.ParamIndex(layout, o, c, i);
            int v = type.IsSigned() ? (sbyte)q[at] : q[at];
            Assert.InRange(v, type.QMin(), type.QMax());
            Assert.Equal((v - p.ZeroPoints[pi]) * p.Scales[pi], back[at]);
            Assert.True(Math.Abs(back[at] - x[at]) <= p.Scales[pi] / 2 * 1.0001f,
                $"element {at}: {x[at]} -> {back[at]}, scale {p.Scales[pi]}");
        }
    }

    [Fact]
    public void FinerGranularityNeverLosesAccuracy()
    {
        int[] shape = [64, 32];
        var x = TestData.Gaussian(64 * 32, 1, seed: 5);
        for (int r = 0; r < 64; r++) x[r * 32] *= 20; // one column with large values
        double Error(TensorQuantParams p)
        {
            var back = TensorQuantizer.Dequantize(TensorQuantizer.Quantize(x, shape, p), shape, p);
            double e = 0;
            for (int i = 0; i < x.Length; i++) e += (back[i] - x[i]) * (back[i] - x[i]);
            return e;
        }
        double perTensor = Error(QuantParamsCalculator.PerTensor(x, QuantType.Int8, true));
        double perChannel = Error(QuantParamsCalculator.PerChannel(x, shape, 1, QuantType.Int8, true));
        Assert.True(perChannel < perTensor / 10, $"{perChannel} vs {perTensor}");
    }
}
