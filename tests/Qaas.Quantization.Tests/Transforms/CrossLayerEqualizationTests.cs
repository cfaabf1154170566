using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Quantization.Tests.Static;
using Qaas.Quantization.Transforms;
using Qaas.Quantization.Transforms.Graph;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.Transforms.TransformModels;

namespace Qaas.Quantization.Tests.Transforms;

/// <summary>The cross-layer-equalization transform on Conv -> Relu -> Conv pairs, run in ONNX Runtime.</summary>
public class CrossLayerEqualizationTests(ITestOutputHelper output)
{
    private const int Channels = 8;

    /// <summary>
    /// x[1,3,16,16] -> Conv(3x3, 8) -> Relu -> Conv(second) -> y, where the first Conv's channels span 1000x in range and
    /// the second undoes it: the float model is ordinary, but one per-tensor weight scale cannot fit both.
    /// </summary>
    private static ModelProto Imbalanced(bool depthwise)
    {
        var random = new Random(5);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var w1 = Values(Channels * 3 * 9);
        var b1 = Values(Channels);
        int per2 = depthwise ? 9 : 1, outputs2 = depthwise ? Channels : 4;
        var w2 = Values(outputs2 * (depthwise ? 1 : Channels) * per2);
        for (int c = 0; c < Channels; c++)
        {
            float s = MathF.Pow(10, c % 4 - 1.5f); // 0.03 .. 30
            for (int k = 0; k < 27; k++) w1[c * 27 + k] *= s;
            b1[c] *= s;
            for (int m = 0; m < outputs2; m++)
                for (int k = 0; k < per2; k++)
                    if (!depthwise || m == c)
                        w2[(m * (depthwise ? 1 : Channels) + (depthwise ? 0 : c)) * per2 + k] /= s;
        }
        var graph = new GraphProto { Name = "imbalanced" };
        graph.Input.Add(Float("x", 1, 3, 16, 16));
        graph.Output.Add(Float("y", 1, outputs2, 16, 16));
        graph.Initializer.Add(TensorData.Create<float>("w1", w1, [Channels, 3, 3, 3]));
        graph.Initializer.Add(TensorData.Create<float>("b1", b1, [Channels]));
        graph.Initializer.Add(TensorData.Create<float>("w2", w2, depthwise ? [Channels, 1, 3, 3] : [outputs2, Channels, 1, 1]));
        graph.Node.Add(Node("Conv", ["x", "w1", "b1"], ["h"], Attributes.Ints("pads", 1, 1, 1, 1)));
        graph.Node.Add(Node("Relu", ["h"], ["r"]));
        graph.Node.Add(depthwise
            ? Node("Conv", ["r", "w2"], ["y"], Attributes.Ints("pads", 1, 1, 1, 1), Attributes.Int("group", Channels))
            : Node("Conv", ["r", "w2"], ["y"]));
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    private static SampleFeed Images(int count, int seed) => new(() => Enumerable.Range(0, count).Select(i =>
        (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.Create(TestData.Uniform(3 * 16 * 16, -1, 1, seed: seed + i), 1, 3, 16, 16),
        }), count, synthetic: false);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Equalized_pair_computes_the_same_and_has_balanced_channel_ranges(bool depthwise)
    {
        var original = Imbalanced(depthwise);
        var equalized = original.Clone();
        Assert.Equal(1, ConvPairEqualizer.Apply(equalized));

        var w1 = TensorData.Read<float>(equalized.Graph.Initializer.Single(t => t.Name == equalized.Graph.Node[0].Input[1]));
        var w2 = TensorData.Read<float>(equalized.Graph.Initializer.Single(t => t.Name == equalized.Graph.Node[2].Input[1]));
        int per2 = depthwise ? 9 : 1, outputs2 = depthwise ? Channels : 4;
        for (int c = 0; c < Channels; c++)
        {
            float r1 = w1.AsSpan(c * 27, 27).ToArray().Max(MathF.Abs), r2 = 0;
            for (int m = 0; m < outputs2; m++)
                if (!depthwise || m == c)
                    r2 = MathF.Max(r2, w2.AsSpan((m * (depthwise ? 1 : Channels) + (depthwise ? 0 : c)) * per2, per2).ToArray().Max(MathF.Abs));
            Assert.Equal(1, r1 / r2, 3);
        }

        double sqnr = Sqnr(original, equalized, Images(2, 30));
        Assert.True(sqnr > 90, $"SQNR {sqnr:F1} dB: the rewrite must be exact up to float rounding");
    }

    [Fact]
    public void Per_tensor_int8_weights_keep_far_more_signal_after_equalization()
    {
        var model = OnnxModel.FromProto(Imbalanced(depthwise: false));
        Recipe With(params string[] transforms) => RecipeResolver.Resolve(new Recipe
        {
            Preset = "int8-static", Weights = new WeightSpec { Granularity = "per-tensor" }, Transforms = transforms,
        });
        double plain = Sqnr(model.Proto, StaticQdqQuantizer.Quantize(model, With("fold-batchnorm"), Images(4, 10)).Model, Images(4, 50));
        double equalized = Sqnr(model.Proto,
            StaticQdqQuantizer.Quantize(model, With("fold-batchnorm", "cross-layer-equalization"), Images(4, 10)).Model, Images(4, 50));
        output.WriteLine($"per-tensor int8: SQNR {plain:F1} dB plain, {equalized:F1} dB with cross-layer equalization");
        Assert.True(equalized > plain + 10, $"{equalized:F1} dB vs {plain:F1} dB");
    }

    [Fact]
    public void A_weight_read_by_another_node_is_left_alone()
    {
        var model = Imbalanced(depthwise: false);
        // A second reader of w1 would see the rescaled weights: the pair must not be touched.
        model.Graph.Node.Add(Node("Conv", ["x", "w1"], ["z"]));
        model.Graph.Output.Add(Float("z", 1, Channels, 14, 14));
        Assert.Equal(0, ConvPairEqualizer.Apply(model));
    }
}
