using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;
using Qaas.Runtime.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Qaas.Runtime.Tests.Sessions;

/// <summary>PP-OCR exports: weights in Constant nodes, dynamic dimensions.</summary>
public class RealModelTests(ITestOutputHelper output)
{
    [Fact]
    public void PpOcr_detector_maps_a_640_image_to_a_probability_map()
    {
        using var session = InferenceSession.Create(File.ReadAllBytes(RepositoryPaths.Model("ppocr", "ch_PP-OCRv4_det_infer.onnx")), TestModels.SingleThread);
        output.WriteLine($"inputs: {string.Join("; ", session.Inputs)}  outputs: {string.Join("; ", session.Outputs)}");
        var input = Assert.Single(session.Inputs);
        Assert.Equal("x", input.Name);
        Assert.Equal(TensorElementType.Float, input.ElementType);
        Assert.Equal(4, input.Shape.Count);
        Assert.Equal(3, input.Shape[1]);
        Assert.Equal(-1, input.Shape[2]); // dynamic height
        Assert.False(string.IsNullOrEmpty(input.SymbolicDimensions[2]));

        var image = new float[3 * 640 * 640];
        for (var i = 0; i < image.Length; i++)
            image[i] = (i % 97) / 97f - 0.5f;
        var result = session.Run([new NamedTensor("x", Tensor.Create(image, 1, 3, 640, 640))]);

        var map = Assert.Single(result).Tensor;
        Assert.Equal([1L, 1, 640, 640], map.Shape);
        Assert.All(map.ToArray<float>(), p => Assert.InRange(p, 0f, 1f)); // sigmoid output
    }

    [Fact]
    public void PpOcr_direction_classifier_outputs_two_probabilities()
    {
        using var session = InferenceSession.Create(File.ReadAllBytes(RepositoryPaths.Model("ppocr", "ch_ppocr_mobile_v2.0_cls_infer.onnx")), TestModels.SingleThread);
        var result = session.Run([new NamedTensor(session.Inputs[0].Name, Tensor.Create(new float[3 * 48 * 192], 1, 3, 48, 192))]);
        var probabilities = Assert.Single(result).Tensor;
        Assert.Equal([1L, 2], probabilities.Shape);
        Assert.Equal(1f, probabilities.ToArray<float>().Sum(), 3);
    }
}
