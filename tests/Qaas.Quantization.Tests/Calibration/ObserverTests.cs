using Qaas.Quantization.Calibration;
using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Tests;

public class ObserverTests
{
    /// <summary>N(0, 1) where 1 % of the values are scaled by 10: a heavy tail both methods should clip.</summary>
    private static float[] GaussianWithOutliers(int count, int seed)
    {
        var x = TestData.Gaussian(count, 1, seed);
        var random = new Random(seed + 1000);
        for (int i = 0; i < count; i++)
            if (random.NextDouble() < 0.01)
                x[i] *= 10;
        return x;
    }

    [Fact]
    public void MinMaxIsExact()
    {
        var observer = new MinMaxObserver();
        observer.Observe([1f, -2f, 3f]);
        observer.Observe([0.5f, float.NaN, 7f]);
        observer.Observe([]);
        Assert.Equal((-2f, 7f), observer.ComputeRange());
        Assert.Equal((0f, 0f), new MinMaxObserver().ComputeRange());
    }

    [Fact]
    public void MovingAverageMinMaxFollowsBatches()
    {
        var observer = new MinMaxObserver(averagingConstant: 0.5f);
        observer.Observe([-1f, 1f]);
        observer.Observe([-3f, 5f]);
        Assert.Equal((-2f, 3f), observer.ComputeRange());
    }

    [Fact]
    public void HistogramKeepsItsMassWhenTheRangeGrows()
    {
        var h = new Histogram(512);
        h.Add(TestData.Uniform(10000, -1, 1, 1));
        h.Add(TestData.Uniform(10000, -4, 9, 2));
        h.Add(TestData.Uniform(10000, -2, 2, 3));
        double sum = 0;
        foreach (double c in h.Counts) sum += c;
        Assert.Equal(30000, sum, 6);
        Assert.Equal(30000, h.TotalCount);
        Assert.True(h.Lower <= -4 && h.Upper >= 9);
        Assert.Equal(512, h.BinCount);
        // Median of the mixture is near 0; the first and third batches put 2/3 of the mass inside [-2, 2].
        Assert.InRange(h.Quantile(0.5), -0.3f, 0.6f);
    }

    [Fact]
    public void HistogramCountsEveryValueInItsBin()
    {
        // Runs of one value (which Fill spreads over its interleaved copies), batch lengths that are no multiple of
        // the copies or of its 256-value chunks, and counts read between batches.
        var h = new Histogram(64);
        var batches = new[]
        {
            new float[] { -1f, 3f, 0.5f },
            Enumerable.Repeat(0.25f, 1001).Concat(Enumerable.Range(0, 517).Select(i => -1f + 4f * i / 517)).ToArray(),
            Enumerable.Repeat(2.9f, 7).ToArray(),
        };
        var expected = new double[64];
        foreach (var batch in batches)
        {
            h.Add(batch);
            foreach (var v in batch)
                expected[Math.Clamp((int)((v - h.Lower) * 64 / (h.Upper - h.Lower)), 0, 63)]++;
            Assert.Equal(expected, h.Counts.ToArray());
        }
        Assert.Equal(-1f, h.Lower);
        Assert.Equal(3f, h.Upper);
        Assert.Equal(1001 + 517 + 10, h.TotalCount);
    }

    [Fact]
    public void PercentileIsCloseToTheSortedArrayPercentile()
    {
        var observer = new PercentileObserver(percentile: 99.9, symmetric: true);
        var all = new List<float>();
        for (int batch = 0; batch < 10; batch++)
        {
            var x = TestData.Gaussian(20000, 1 + batch * 0.1f, seed: batch);
            observer.Observe(x);
            all.AddRange(x);
        }
        var sorted = all.Select(Math.Abs).Order().ToArray();
        float expected = sorted[(int)(0.999 * sorted.Length)];
        var (min, max) = observer.ComputeRange();
        Assert.Equal(-max, min);
        Assert.InRange(max, expected * 0.98f, expected * 1.02f);
    }

    [Fact]
    public void AsymmetricPercentileClipsBothTails()
    {
        var observer = new PercentileObserver(percentile: 99, symmetric: false);
        var x = TestData.Uniform(100000, -1, 3, 4);
        observer.Observe(x);
        var (min, max) = observer.ComputeRange();
        Assert.InRange(min, -0.99f, -0.97f); // 0.5 % of a width-4 range = 0.02
        Assert.InRange(max, 2.97f, 2.99f);
    }

    [Fact]
    public void NonNegativeDataGetsARangeStartingAtZero()
    {
        var x = TestData.Uniform(10000, 0, 6, 5);
        foreach (IRangeObserver observer in new IRangeObserver[] { new PercentileObserver(99.99), new EntropyObserver() })
        {
            observer.Observe(x);
            var (min, max) = observer.ComputeRange();
            Assert.Equal(0f, min);
            Assert.InRange(max, 1f, 6f);
        }
    }

    [Fact]
    public void EntropyAndMseClipOutliersThatMinMaxKeeps()
    {
        var minMax = new MinMaxObserver();
        var entropy = new EntropyObserver();
        var mse = new MseObserver(QuantType.Int8, symmetric: true);
        for (int batch = 0; batch < 5; batch++)
        {
            var x = GaussianWithOutliers(50000, batch);
            minMax.Observe(x);
            entropy.Observe(x);
            mse.Observe(x);
        }
        var (fullMin, fullMax) = minMax.ComputeRange();
        float full = Math.Max(-fullMin, fullMax);
        Assert.True(full > 25);
        var (entropyMin, entropyMax) = entropy.ComputeRange();
        var (mseMin, mseMax) = mse.ComputeRange();
        Assert.Equal(-entropyMax, entropyMin);
        Assert.Equal(-mseMax, mseMin);
        Assert.InRange(entropyMax, 3f, full * 0.8f);
        Assert.InRange(mseMax, 3f, full * 0.9f);
        Assert.True(mse.ExpectedError(mseMin, mseMax) < mse.ExpectedError(-full, full));
    }

    /// <summary>
    /// The range search reads running sums of the histogram; here each candidate's error is summed bin by bin, as the
    /// method defines it, and the chosen range must be the cheapest (up to rounding, which can swap near-ties).
    /// </summary>
    [Theory]
    [InlineData(QuantType.Int8, true, 0)]
    [InlineData(QuantType.UInt8, false, 1)]
    [InlineData(QuantType.UInt8, false, 2)]
    [InlineData(QuantType.Int4, true, 3)]
    public void MseRangeIsTheCheapestCandidateSummedBinByBin(QuantType type, bool symmetric, int seed)
    {
        var mse = new MseObserver(type, symmetric);
        var random = new Random(seed);
        for (int batch = 0; batch < 4; batch++)
        {
            var x = GaussianWithOutliers(20000, seed * 10 + batch);
            for (int i = 0; i < x.Length; i++)
                x[i] = seed switch
                {
                    1 => MathF.Max(0, x[i]) + 0.25f,              // shifted, one-sided (the grid still takes in 0)
                    2 => x[i] * x[i] * (random.Next(2) * 2 - 1) * 3, // heavy two-sided tails
                    _ => x[i],
                };
            mse.Observe(x);
        }
        var h = mse.Histogram;
        double Summed(float lo, float hi)
        {
            var p = QuantParamsCalculator.FromRange(lo, hi, type, symmetric);
            double clipLo = (double)(type.QMin() - p.ZeroPoint) * p.Scale, clipHi = (double)(type.QMax() - p.ZeroPoint) * p.Scale;
            double error = 0;
            for (int i = 0; i < h.BinCount; i++)
            {
                double c = h.BinCenter(i);
                error += h.Counts[i] * (c < clipLo ? (clipLo - c) * (clipLo - c) : c > clipHi ? (c - clipHi) * (c - clipHi) : (double)p.Scale * p.Scale / 12);
            }
            return error / h.TotalCount;
        }
        float min = MathF.Min(h.ObservedMin, 0), max = MathF.Max(h.ObservedMax, 0);
        if (symmetric && min < 0)
            (min, max) = (-MathF.Max(-min, max), MathF.Max(-min, max));
        var errors = Enumerable.Range(1, mse.Candidates).Select(c => Summed(min * c / mse.Candidates, max * c / mse.Candidates)).ToList();
        var (lo, hi) = mse.ComputeRange();
        double chosen = Summed(lo, hi), best = errors.Min();
        Assert.True(chosen <= best * (1 + 1e-6), $"chosen range [{lo}, {hi}] costs {chosen}, the cheapest candidate {best}");
        Assert.Equal(chosen, mse.ExpectedError(lo, hi), 1e-6 * chosen);
        // Not degenerate: the search clipped something and the choice is strictly cheaper than the full range.
        Assert.True(best < errors[^1]);
    }

    [Fact]
    public void ObserverStateDoesNotGrowWithBatches()
    {
        var percentile = new PercentileObserver(binCount: 1024);
        var entropy = new EntropyObserver(binCount: 1024);
        var mse = new MseObserver(binCount: 1024);
        for (int batch = 0; batch < 200; batch++)
        {
            var x = TestData.Gaussian(1000, 1 + batch, seed: batch);
            percentile.Observe(x);
            entropy.Observe(x);
            mse.Observe(x);
        }
        foreach (var h in new[] { percentile.Histogram, entropy.Histogram, mse.Histogram })
        {
            Assert.Equal(1024, h.BinCount);
            Assert.Equal(1024, h.Counts.Length);
            Assert.Equal(200_000, h.TotalCount);
        }
    }

    [Fact]
    public void EntropyThresholdKeepsAllBinsForUniformData()
    {
        // With no tail to clip, the full range is the least-divergent choice.
        var histogram = new double[512];
        Array.Fill(histogram, 10.0);
        Assert.Equal(512, EntropyObserver.BestBinCount(histogram, 128));
    }

    [Fact]
    public void FactoryCreatesEveryRecipeMethod()
    {
        Assert.IsType<MinMaxObserver>(RangeObservers.Create("minmax", QuantType.UInt8, false));
        Assert.IsType<PercentileObserver>(RangeObservers.Create("percentile", QuantType.Int8, true));
        Assert.Equal(128, Assert.IsType<EntropyObserver>(RangeObservers.Create("entropy", QuantType.Int8, true)).QuantizedLevels);
        Assert.Equal(QuantType.Int16, Assert.IsType<MseObserver>(RangeObservers.Create("MSE", QuantType.Int16, true)).Type);
        Assert.Throws<ArgumentException>(() => RangeObservers.Create("kl", QuantType.Int8, true));
        foreach (var method in RangeObservers.Methods)
        {
            var observer = RangeObservers.Create(method, QuantType.Int8, symmetric: false);
            observer.Observe([-1f, 0.5f, 2f]);
            var (min, max) = observer.ComputeRange();
            Assert.True(min <= 0 && max > 0 && max <= 2f, $"{method}: ({min}, {max})");
        }
    }
}
