using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Tensors;

namespace Qaas.Bench.Models;

/// <summary>PP-OCR detector inputs ("x", [1, 3, size, size]) rendered from text by ImageMagick; seeds give disjoint sets.</summary>
public static class RenderedTextFeed
{
    public static SampleFeed Detector(int count, int size, int seed) =>
        new(() => Enumerable.Range(0, count).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(TextImages.Detection(i, size, size, seed), 1, 3, size, size),
        }), count, synthetic: false);
}
