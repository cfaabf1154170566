using Qaas.Quantization.Metrics;

namespace Qaas.Quantization.Tests;

public class MetricsTests
{
    [Fact]
    public void IdenticalTensorsArePerfect()
    {
        var x = TestData.Gaussian(10000, 1, 1);
        var acc = new ErrorAccumulator();
        acc.Add(x, x);
        Assert.Equal(1.0, acc.CosineSimilarity, 6);
        Assert.Equal(double.PositiveInfinity, acc.SqnrDb);
        Assert.Equal(0, acc.MaxAbsoluteError);
        Assert.Equal(0, acc.MeanAbsoluteError);
    }

    [Fact]
    public void KnownNoiseGivesTheExpectedSqnr()
    {
        // Signal power 1, noise power 0.01 -> 20 dB.
        var acc = new ErrorAccumulator();
        for (int batch = 0; batch < 4; batch++)
        {
            var signal = TestData.Gaussian(50000, 1, batch);
            var noise = TestData.Gaussian(50000, 0.1f, 100 + batch);
            var noisy = new float[signal.Length];
            for (int i = 0; i < noisy.Length; i++) noisy[i] = signal[i] + noise[i];
            acc.Add(signal, noisy);
        }
        Assert.Equal(200000, acc.Count);
        Assert.InRange(acc.SqnrDb, 19.8, 20.2);
        Assert.InRange(acc.MeanSquaredError, 0.0098, 0.0102);
        // E|N(0, 0.1)| = 0.1 * sqrt(2 / pi)
        Assert.InRange(acc.MeanAbsoluteError, 0.0790, 0.0806);
        Assert.InRange(acc.CosineSimilarity, 0.9945, 0.9955); // 1 / sqrt(1.01)
    }

    [Fact]
    public void ExactValuesOnASmallExample()
    {
        var acc = new ErrorAccumulator();
        acc.Add([1f, 0f, 0f], [1f, 1f, 0f]);
        acc.Add([0f, 2f], [0f, 0.5f]);
        Assert.Equal(1.5, acc.MaxAbsoluteError, 6);
        Assert.Equal(2.5 / 5, acc.MeanAbsoluteError, 6);
        Assert.Equal(10 * Math.Log10(5 / 3.25), acc.SqnrDb, 5);
        Assert.Equal(2 / (Math.Sqrt(5) * Math.Sqrt(2.25)), acc.CosineSimilarity, 6);
    }

    [Fact]
    public void LargeFiniteValuesGiveFiniteMetrics()
    {
        // Squares past float's range: 1e27 and a 1% error (an SQNR of 40 dB), in a vector pass and in the scalar tail.
        var reference = Enumerable.Repeat(1e27f, 19).ToArray();
        var candidate = reference.Select(v => v * 1.01f).ToArray();
        var acc = new ErrorAccumulator();
        acc.Add(reference, candidate);
        Assert.Equal(40, acc.SqnrDb, 2);
        Assert.Equal(1, acc.CosineSimilarity, 6);
        Assert.Equal(1e25, acc.MaxAbsoluteError, 1e21);
    }

    [Fact]
    public void OppositeVectorsHaveCosineMinusOne()
    {
        var acc = new ErrorAccumulator();
        acc.Add([1f, 2f, 3f], [-1f, -2f, -3f]);
        Assert.Equal(-1, acc.CosineSimilarity, 6);
    }

    [Fact]
    public void Top1AgreementCountsMatchingArgmaxRows()
    {
        var top1 = new Top1Agreement();
        top1.Add([0.1f, 0.9f, 0f, 5f, 1f, 2f], [0.2f, 0.8f, 0f, 1f, 5f, 2f], classes: 3);
        top1.Add([1f, 0f, 0f], [1f, 0f, 0.5f], classes: 3);
        Assert.Equal(3, top1.Rows);
        Assert.Equal(2, top1.Agreeing);
        Assert.Equal(2.0 / 3, top1.Rate, 9);
    }

    [Fact]
    public void IoUOfThresholdedMaps()
    {
        var iou = new IoUAccumulator(0.5f);
        var reference = new float[37];
        var candidate = new float[37];
        for (int i = 0; i < 20; i++) reference[i] = 0.9f; // 0..19
        for (int i = 10; i < 30; i++) candidate[i] = 0.6f; // 10..29
        candidate[36] = 0.5f; // not above the threshold
        iou.Add(reference, candidate);
        Assert.Equal(10, iou.Intersection);
        Assert.Equal(30, iou.Union);
        Assert.Equal(1.0 / 3, iou.IoU, 9);
        Assert.Equal(1, new IoUAccumulator(0.5f).IoU);
    }
}
