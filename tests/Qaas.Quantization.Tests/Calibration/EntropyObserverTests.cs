using Qaas.Quantization.Calibration;

namespace Qaas.Quantization.Tests;

/// <summary>The KL threshold search (TensorRT's entropy calibration) against a direct implementation and known distributions.</summary>
public class EntropyObserverTests
{
    [Fact]
    public void GaussianWithRareOutliersClipsTheOutliersButKeepsTheMass()
    {
        var x = TestData.Gaussian(200_000, 1, seed: 21);
        var random = new Random(22);
        for (int i = 0; i < x.Length; i += 2000) // 0.05 % outliers at 20-60 sigma
            x[i] = (float)((random.Next(2) * 2 - 1) * (20 + 40 * random.NextDouble()));
        var observer = new EntropyObserver();
        foreach (var batch in x.Chunk(10_000))
            observer.Observe(batch);

        var (min, max) = observer.ComputeRange();
        float full = x.Max(MathF.Abs);
        Assert.Equal(-max, min);
        Assert.True(max < full / 4, $"threshold {max} should clip the outliers (max |x| {full})");
        double kept = x.Count(v => MathF.Abs(v) <= max) / (double)x.Length;
        Assert.True(kept >= 0.99, $"kept {kept:P3}");
        Assert.True(max >= 3, $"threshold {max} clips the Gaussian itself");
    }

    [Fact]
    public void ThresholdNeverDropsMoreThanTheMassFloor()
    {
        // A spike holding most of the mass next to a broad shoulder (a flat image background and text strokes): the
        // KL minimum alone sits just past the spike and clips the shoulder; the mass floor keeps it.
        var histogram = new double[2048];
        histogram[100] = 1_000_000;
        for (int j = 0; j < 2048; j++)
            histogram[j] += j < 1800 ? 50 : 0;
        int unconstrained = EntropyObserver.BestBinCount(histogram, _ => 256, 256);
        int first = EntropyObserver.FirstCandidate(histogram, 256, EntropyObserver.MinKeptMass);
        int guarded = EntropyObserver.BestBinCount(histogram, _ => 256, first);
        Assert.True(Kept(histogram, unconstrained) < EntropyObserver.MinKeptMass, $"unconstrained keeps {Kept(histogram, unconstrained):P3}");
        Assert.True(Kept(histogram, guarded) >= EntropyObserver.MinKeptMass);
        Assert.True(Kept(histogram, first - 1) < EntropyObserver.MinKeptMass);
    }

    [Theory]
    [InlineData(1, 512, 128)]
    [InlineData(2, 2048, 128)]
    [InlineData(3, 1000, 256)]
    [InlineData(4, 300, 255)]
    public void PrefixSumSearchEqualsTheDirectDefinition(int seed, int bins, int levels)
    {
        var random = new Random(seed);
        var histogram = new double[bins];
        for (int j = 0; j < bins; j++)
            histogram[j] = random.NextDouble() < 0.3 ? 0 : Math.Round(1000 * Math.Exp(-j / (bins / 6.0)) * random.NextDouble());
        Assert.Equal(DirectBestBinCount(histogram, levels), EntropyObserver.BestBinCount(histogram, levels));
    }

    private static double Kept(double[] histogram, int bins) => histogram.Take(bins).Sum() / histogram.Sum();

    /// <summary>Migacz 2017 written out per candidate: P with the tail folded in, Q merged into levels and expanded
    /// over P's non-empty bins, KL with q = 1e-10 where P has mass Q lost.</summary>
    private static int DirectBestBinCount(double[] h, int levels)
    {
        int best = h.Length;
        double bestDivergence = double.PositiveInfinity;
        for (int i = levels; i <= h.Length; i++)
        {
            var p = h.Take(i).ToArray();
            p[i - 1] += h.Skip(i).Sum();
            var q = new double[i];
            double perLevel = (double)i / levels;
            for (int level = 0; level < levels; level++)
            {
                int start = (int)(level * perLevel), end = level == levels - 1 ? i : (int)((level + 1) * perLevel);
                double mass = 0;
                int nonEmpty = 0;
                for (int j = start; j < end; j++)
                {
                    mass += h[j];
                    if (p[j] > 0) nonEmpty++;
                }
                for (int j = start; j < end; j++)
                    if (p[j] > 0 && nonEmpty > 0) q[j] = mass / nonEmpty;
            }
            double sumP = p.Sum(), sumQ = q.Sum();
            if (sumQ == 0)
                continue;
            double divergence = 0;
            for (int j = 0; j < i; j++)
            {
                if (p[j] == 0) continue;
                double pj = p[j] / sumP, qj = q[j] == 0 ? 1e-10 : q[j] / sumQ;
                divergence += pj * Math.Log(pj / qj);
            }
            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                best = i;
            }
        }
        return best;
    }
}
