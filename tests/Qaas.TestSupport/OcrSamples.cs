using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Tensors;

namespace Qaas.TestSupport;

/// <summary>Rendered-text feeds for the PP-OCR models (input "x"); different seeds give disjoint image sets.</summary>
public static class OcrSamples
{
    /// <summary>Direction-classifier text lines, [1, 3, 48, 192], some upside down.</summary>
    public static SampleFeed Classifier(int count, int seed) => Feed(count,
        i => Tensor.Create(TextImages.Classification(i, seed), 1, 3, TextImages.ClassifierHeight, TextImages.ClassifierWidth));

    /// <summary>Detector pages, [1, 3, size, size].</summary>
    public static SampleFeed Detector(int count, int size, int seed) => Feed(count,
        i => Tensor.Create(TextImages.Detection(i, size, size, seed), 1, 3, size, size));

    private static SampleFeed Feed(int count, Func<int, Tensor> make) =>
        new(() => Enumerable.Range(0, count).Select(i => (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { ["x"] = make(i) }),
            count, synthetic: false);
}
