using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Tensors;

namespace Qaas.Bench.Models;

/// <summary>PP-OCR inputs ("x") rendered from text by ImageMagick; seeds give disjoint sets.</summary>
public static class RenderedTextFeed
{
    /// <summary>Detector pages, [1, 3, size, size].</summary>
    public static SampleFeed Detector(int count, int size, int seed) =>
        Feed(count, i => Tensor.Create(TextImages.Detection(i, size, size, seed), 1, 3, size, size));

    /// <summary>Direction-classifier text lines, [1, 3, 48, 192], some upside down.</summary>
    public static SampleFeed Classifier(int count, int seed) =>
        Feed(count, i => Tensor.Create(TextImages.Classification(i, seed), 1, 3, TextImages.ClassifierHeight, TextImages.ClassifierWidth));

    private static SampleFeed Feed(int count, Func<int, Tensor> make) =>
        new(() => Enumerable.Range(0, count).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["x"] = make(i) }),
            count, synthetic: false);
}
