using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using Qaas.Runtime.Tensors;
using Qaas.TestSupport;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.Transforms.TransformModels;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.WeightOnly;

/// <summary>weights.algorithm "awq" for MatMulNBits, run in ONNX Runtime.</summary>
public class AwqQuantizerTests(ITestOutputHelper output)
{
    private const int Tokens = 32, Hidden = 256, Outputs = 128;

    /// <summary>x[1,32,256] -> LayerNormalization (8 salient channels, scale 12) -> MatMul W[256,128] and W'[256,128].</summary>
    private static ModelProto SalientBlock(string norm = "LayerNormalization") =>
        LayerNormProjections(Tokens, Hidden, Outputs, j => j % 32 == 3, 12f, seed: 11, norm);

    private static SampleFeed Inputs(int count, int seed) => UniformTokens(count, Tokens, Hidden, seed);

    private static Recipe W4(string algorithm) => RecipeResolver.Resolve(new Recipe
    {
        Preset = "w4-rtn", Weights = new WeightSpec { Type = "int4", Granularity = "per-group", GroupSize = 32, Algorithm = algorithm },
    });

    private static double Sqnr(ModelProto reference, ModelProto candidate, SampleFeed feed)
    {
        var error = new ErrorAccumulator();
        foreach (var sample in feed.Samples())
            foreach (var name in new[] { "y", "y2" })
                error.Add(RunOutput(reference, sample, name), RunOutput(candidate, sample, name));
        return error.SqnrDb;
    }

    [Theory]
    [InlineData(false, "LayerNormalization")]
    [InlineData(true, "LayerNormalization")]
    [InlineData(true, "SimplifiedLayerNormalization")]
    [InlineData(true, "SkipSimplifiedLayerNormalization")]
    public void Awq_keeps_the_outputs_of_salient_channels_closer_than_rounding(bool clipSearch, string norm)
    {
        var model = OnnxModel.FromProto(SalientBlock(norm));
        var options = new MatMulNBitsOptions(ClipSearch: clipSearch);
        var rtn = MatMulNBitsQuantizer.Quantize(model, W4("rtn"), options);
        var awq = MatMulNBitsQuantizer.Quantize(model, W4("awq"), options, calibration: Inputs(4, 1));

        Assert.Empty(awq.Warnings);
        Assert.Equal(rtn.Model.Graph.Node.Count(n => n.OpType == "MatMulNBits"), awq.Model.Graph.Node.Count(n => n.OpType == "MatMulNBits"));
        var normNode = awq.Model.Graph.Node.Single(n => n.OpType == norm);
        Assert.EndsWith("_awq", normNode.Input[norm.StartsWith("Skip") ? 2 : 1]);
        double rtnSqnr = Sqnr(model.Proto, rtn.Model, Inputs(3, 50)), awqSqnr = Sqnr(model.Proto, awq.Model, Inputs(3, 50));
        output.WriteLine($"{norm}, clip search {clipSearch}: SQNR RTN {rtnSqnr:F2} dB, AWQ {awqSqnr:F2} dB on held-out inputs");
        Assert.True(awqSqnr > rtnSqnr + 1, $"AWQ {awqSqnr:F2} dB vs RTN {rtnSqnr:F2} dB");
    }

    [Fact]
    public void A_model_with_external_weights_gets_the_same_weights_as_an_inline_one()
    {
        var inline = OnnxModel.FromProto(SalientBlock());
        using var folder = new TempFolder();
        var external = OnnxModel.Load(inline.SaveToFolder(folder.Path, new ModelSaveOptions { ExternalData = ExternalDataMode.Always }));
        Assert.Contains(external.Proto.Graph.Initializer, t => t.DataLocation == TensorProto.Types.DataLocation.External);

        var fromInline = MatMulNBitsQuantizer.Quantize(inline, W4("awq"), MatMulNBitsOptions.Default, calibration: Inputs(2, 1));
        var fromExternal = MatMulNBitsQuantizer.Quantize(external, W4("awq"), MatMulNBitsOptions.Default, calibration: Inputs(2, 1));
        var weightsOf = (ModelProto m) => m.Graph.Initializer.Where(t => t.Name.Contains("_Q4") || t.Name.EndsWith("_awq"))
            .ToDictionary(t => t.Name, t => t.RawData);
        var a = weightsOf(fromInline.Model);
        var b = weightsOf(fromExternal.Model);
        Assert.NotEmpty(a);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, bytes) in a)
            Assert.Equal(bytes, b[name]);
    }

    [Fact]
    public void A_norm_feeding_a_matmul_the_recipe_leaves_float_is_not_rescaled()
    {
        var fp32 = SalientBlock();
        var recipe = W4("awq") with { Nodes = new NodeSelection { Include = new NodeFilter { OpTypes = ["MatMul"] }, Exclude = new NodeFilter { Names = ["MatMul_y2"] } } };
        var awq = MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(fp32), recipe, MatMulNBitsOptions.Default, calibration: Inputs(2, 1));
        Assert.Single(awq.Model.Graph.Node, n => n.OpType == "MatMulNBits");
        Assert.Contains(awq.Warnings, w => w.Contains("no LayerNormalization"));
        // The float MatMul reads the norm's output unchanged: its result is fp32's, bit for bit.
        var sample = Inputs(1, 50).Samples().First();
        Assert.Equal(RunOutput(fp32, sample, "y2"), RunOutput(awq.Model, sample, "y2"));
    }

    [Fact]
    public void Progress_climbs_through_the_search_and_the_rounding_to_one()
    {
        var seen = new List<double>();
        MatMulNBitsQuantizer.Quantize(OnnxModel.FromProto(SalientBlock()), W4("awq"), MatMulNBitsOptions.Default,
            calibration: Inputs(2, 1), progress: new ProgressRecorder(seen));
        Assert.Contains(seen, p => p > 0 && p < 0.5); // the AWQ search
        Assert.Contains(seen, p => p >= 0.5 && p < 1); // the rounding
        Assert.Equal(1.0, seen[^1]);
        Assert.Equal(seen.Order(), seen);
    }

    [Fact]
    public void Awq_on_the_test_transformer_runs_in_onnx_runtime_and_is_no_worse_than_rounding()
    {
        var o = TransformerOptions.Small;
        var fp32 = TransformerModelBuilder.Build(o);
        var model = OnnxModel.FromProto(fp32);
        var rtn = MatMulNBitsQuantizer.Quantize(model, W4("rtn"));
        var awq = MatMulNBitsQuantizer.Quantize(model, W4("awq"), MatMulNBitsOptions.Default, calibration: Sentences(o, 8, 32, 100));

        Assert.Equal(rtn.Model.Graph.Node.Count(n => n.OpType == "MatMulNBits"), awq.Model.Graph.Node.Count(n => n.OpType == "MatMulNBits"));
        var heldOut = Sentences(o, 4, 32, 900);
        double rtnSqnr = OutputSqnr(fp32, rtn.Model, heldOut), awqSqnr = OutputSqnr(fp32, awq.Model, heldOut);
        output.WriteLine($"test transformer logits SQNR on held-out tokens: RTN {rtnSqnr:F2} dB, AWQ {awqSqnr:F2} dB; warnings: {string.Join(" | ", awq.Warnings)}");
        Assert.True(awqSqnr > rtnSqnr - 0.1, $"AWQ {awqSqnr:F2} dB vs RTN {rtnSqnr:F2} dB");
    }

    [Fact]
    public void Awq_without_calibration_samples_is_refused_and_synthetic_ones_are_reported()
    {
        var model = OnnxModel.FromProto(SalientBlock());
        var recipe = W4("awq");
        Assert.True(Quantizers.NeedsCalibration(recipe));
        var error = Assert.Throws<ArgumentException>(() => MatMulNBitsQuantizer.Quantize(model, recipe));
        Assert.Contains("calibration", error.Message);

        SampleFeed synthetic = new(() => Inputs(2, 7).Samples(), 2, synthetic: true);
        var result = MatMulNBitsQuantizer.Quantize(model, recipe, MatMulNBitsOptions.Default, calibration: synthetic);
        Assert.Contains(result.Warnings, w => w.Contains("synthetic"));
    }

    [Fact]
    public void A_model_without_layer_norms_is_rounded_to_nearest_with_a_warning()
    {
        var proto = SalientBlock();
        // MatMuls reading the graph input directly: no LayerNorm to fold the scales into.
        proto.Graph.Node.RemoveAt(0);
        foreach (var n in proto.Graph.Node) n.Input[0] = "x";
        var model = OnnxModel.FromProto(proto);
        var rtn = MatMulNBitsQuantizer.Quantize(model, W4("rtn"));
        var awq = MatMulNBitsQuantizer.Quantize(model, W4("awq"), MatMulNBitsOptions.Default, calibration: Inputs(2, 1));
        Assert.Contains(awq.Warnings, w => w.Contains("no LayerNormalization"));
        Assert.Equal(rtn.Model, awq.Model);
    }
}
