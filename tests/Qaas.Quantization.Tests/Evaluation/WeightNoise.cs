using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Quantization.Tests.Evaluation;

/// <summary>A copy of a model whose float weight matrices and kernels (initializers and Constant nodes) carry Gaussian noise with
/// standard deviation <c>relative</c> x the weight's own RMS: a stand-in for quantization error of known size.</summary>
internal static class WeightNoise
{
    public static ModelProto Add(ModelProto model, double relative, int seed)
    {
        var copy = model.Clone();
        var random = new Random(seed);
        foreach (var w in ModelWeights.All(copy.Graph))
        {
            if (w.Tensor.DataType != (int)TensorProto.Types.DataType.Float || w.Tensor.Dims.Count < 2) continue; // kernels and matrices, as quantization would; BatchNorm statistics stay
            var values = TensorData.ReadAsFloat(w.Tensor);
            var rms = Math.Sqrt(values.Average(v => (double)v * v));
            var noise = TestData.Gaussian(values.Length, (float)(relative * rms), random.Next());
            for (var i = 0; i < values.Length; i++) values[i] += noise[i];
            var replacement = TensorData.Create<float>(w.Tensor.Name, values, w.Tensor.Dims.ToArray());
            w.Tensor.FloatData.Clear();
            w.Tensor.RawData = replacement.RawData;
        }
        return copy;
    }
}
