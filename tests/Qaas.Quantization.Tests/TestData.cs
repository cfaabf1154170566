using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests;

/// <summary>Deterministic random data for the tests.</summary>
internal static class TestData
{
    public static float[] Uniform(int count, float min, float max, int seed)
    {
        var random = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i++)
            x[i] = min + (float)random.NextDouble() * (max - min);
        return x;
    }

    public static float[] Gaussian(int count, float sigma, int seed)
    {
        var random = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Box-Muller
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            x[i] = (float)(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    /// <summary>Samples for input "x" of shape [1, 3, 16, 16], uniform in [-1, 1); sample i is seeded with seed + i.</summary>
    public static SampleFeed Images(int count, int seed) =>
        Feed(count, i => Tensor.Create(Uniform(3 * 16 * 16, -1, 1, seed + i), 1, 3, 16, 16));

    /// <summary>A feed of <paramref name="count"/> samples for the single input "x".</summary>
    public static SampleFeed Feed(int count, Func<int, Tensor> make) => new(() => Enumerable.Range(0, count).Select(i =>
        (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["x"] = make(i) }), count, synthetic: false);
}
