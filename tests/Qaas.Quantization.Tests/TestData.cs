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
}
