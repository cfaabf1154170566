using System.Numerics.Tensors;
using Qaas.Quantization.Kernels;

namespace Qaas.Quantization.Tests;

public class MinMaxScanTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(1000)]
    [InlineData(4099)]
    public void EqualsTheTwoPassReductionAtEveryLength(int length)
    {
        var x = TestData.Gaussian(length, 3, seed: length);
        x[length / 2] = -50; // extremes in the vector body and in the scalar tail
        x[^1] = 60;
        Assert.Equal((TensorPrimitives.Min(x), TensorPrimitives.Max(x)), MinMaxScan.Of(x));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(63)]
    [InlineData(64)]
    public void ReportsANaNAnywhere(int position)
    {
        var x = TestData.Uniform(65, -1, 1, seed: 3);
        x[position] = float.NaN;
        Assert.Null(MinMaxScan.Of(x));
    }
}
