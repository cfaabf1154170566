using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Tensors;

namespace Qaas.Bench.Models;

/// <summary>
/// PP-OCR classifier inputs x[1, 3, 48, 192], streamed: a few text lines are rendered once (ImageMagick takes tens of
/// ms each), then every sample is one of them rolled sideways by a seeded offset into a fresh array. Nothing is kept
/// per sample, so the memory of a pass does not grow with its sample count.
/// </summary>
public sealed class OcrClassifierFeed
{
    private const int Height = TextImages.ClassifierHeight, Width = TextImages.ClassifierWidth;
    private readonly float[][] _lines;

    public OcrClassifierFeed(int distinctLines, int seed)
    {
        _lines = Enumerable.Range(0, distinctLines).Select(i => TextImages.Classification(i, seed)).ToArray();
    }

    /// <summary>The same <paramref name="count"/> samples every time it is enumerated (for a given seed).</summary>
    public SampleFeed Take(int count, int seed) => new(() => Samples(count, seed), count, synthetic: false);

    private IEnumerable<IReadOnlyDictionary<string, Tensor>> Samples(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var source = _lines[random.Next(_lines.Length)];
            var shift = random.Next(Width);
            var x = new float[source.Length];
            for (var row = 0; row < 3 * Height; row++)
            {
                var from = source.AsSpan(row * Width, Width);
                var to = x.AsSpan(row * Width, Width);
                from[shift..].CopyTo(to);
                from[..shift].CopyTo(to[(Width - shift)..]);
            }
            yield return new Dictionary<string, Tensor> { ["x"] = Tensor.Create(x, 1, 3, Height, Width) };
        }
    }
}
