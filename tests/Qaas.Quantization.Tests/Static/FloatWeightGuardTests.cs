using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Runtime.Profiling;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Static;

public class FloatWeightGuardTests
{
    private static readonly Recipe Int8Static = RecipeResolver.Resolve(new Recipe { Preset = "int8-static" });

    /// <summary>ConvBnReluModel with a bias on "Conv_y" and a third Conv "Conv_z" (1x1, 4 -> 4) reading its output.</summary>
    private static Onnx.Proto.ModelProto ThreeConvs()
    {
        var model = ConvBnReluModel.Build();
        model.Graph.Initializer.Add(TensorData.Create<float>("b2", [0.3f, -0.2f, 0.1f, 0.05f], [4]));
        model.Graph.Initializer.Add(TensorData.Create<float>("w3", TestData.Uniform(16, -0.5f, 0.5f, seed: 6), [4, 4, 1, 1]));
        var second = model.Graph.Node.Single(n => n.Name == "Conv_y");
        second.Input.Add("b2");
        second.Output[0] = "y2";
        model.Graph.Node.Add(ModelBuilder.Node("Conv", "Conv_z", ["y2", "w3"], ["y"]));
        return model;
    }

    [Fact]
    public void A_Conv_kept_fp32_between_int8_ones_stays_fp32_in_OnnxRuntime()
    {
        // Conv -> BN -> Relu -> Conv "Conv_y" -> Conv "Conv_z": the middle one kept fp32, reading an int8 tensor and
        // feeding one. ORT would quantize its weights per tensor itself and fuse it into a third QLinearConv.
        var result = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(ThreeConvs()), Int8Static, TestData.Images(4, seed: 30),
            options: new StaticQdqOptions(KeepFloat: new HashSet<string> { "Conv_y" }));

        var ops = ProfiledRun.Of(result.Model, TestData.Images(1, seed: 99).Samples().First()).Kernels.Values.ToList();
        Assert.True(ops.Count(op => op == "QLinearConv") == 2, string.Join(", ", ops));
        var graph = result.Model.Graph;
        var dq = new GraphView(graph).ProducerOf(graph.Node.Single(n => n.Name == "Conv_y").Input[0])!;
        Assert.Equal("DequantizeLinear", dq.OpType);
        Assert.Equal(1, Attributes.Find(dq, "axis")!.I);
        Assert.Equal([(long)ConvBnReluModel.Channels], graph.Initializer.Single(t => t.Name == dq.Input[1]).Dims);
    }

    [Fact]
    public void The_QOperator_form_keeps_the_guarded_Conv_fp32_and_computes_the_same()
    {
        var qdq = StaticQdqQuantizer.Quantize(OnnxModel.FromProto(ThreeConvs()), Int8Static, TestData.Images(4, seed: 30),
            options: new StaticQdqOptions(KeepFloat: new HashSet<string> { "Conv_y" }));
        var qop = Qaas.Quantization.QOperator.QdqToQOperator.Apply(qdq).Model;

        var sample = TestData.Images(1, seed: 98).Samples().First();
        var ops = ProfiledRun.Of(qop, sample).Kernels.Values.ToList();
        Assert.True(ops.Count(op => op == "QLinearConv") == 2, string.Join(", ", ops));
        using var expected = new SessionRunner(qdq.Model);
        using var actual = new SessionRunner(qop);
        Assert.Equal(expected.Run(sample), actual.Run(sample), (e, a) => Math.Abs(e - a) <= 1e-4f * (1 + Math.Abs(e)));
    }

    [Fact]
    public void An_opset_10_classifier_with_Convs_kept_fp32_still_loads()
    {
        // ORT's own bias quantization adds a Round node, which opset 10 does not have: the session failed to load.
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls);
        var promoted = model.Proto.Clone();
        new GraphEditor(promoted).PromoteConstantsToInitializers();
        var depthwise = promoted.Graph.Node.Where(n => n.OpType == "Conv" && (Attributes.Find(n, "group")?.I ?? 1) > 1).Select(n => n.Name).ToHashSet();
        Assert.NotEmpty(depthwise);

        var result = StaticQdqQuantizer.Quantize(model, Int8Static, OcrSamples.Classifier(4, seed: 1),
            options: new StaticQdqOptions(KeepFloat: depthwise));

        Assert.Equal(10, result.Model.OpsetImport.Single(o => o.Domain.Length == 0).Version);
        var sample = OcrSamples.Classifier(1, seed: 2).Samples().First();
        var kernels = ProfiledRun.Of(result.Model, sample).Kernels.Keys;
        Assert.DoesNotContain(kernels, k => k.EndsWith("_bias_div_round", StringComparison.Ordinal));
    }
}
