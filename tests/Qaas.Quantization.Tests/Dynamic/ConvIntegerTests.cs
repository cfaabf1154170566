using Qaas.Onnx.Io;
using Qaas.Quantization.Dynamic;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Tests.Static;
using Xunit.Abstractions;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Tests.Dynamic;

/// <summary>Dynamic quantization of Convs (DynamicQuantizeLinear + ConvInteger) on the real PP-OCR models.</summary>
public class ConvIntegerTests(ITestOutputHelper output)
{
    private const int DetectorSize = 320, EvaluationSeed = 2;

    private static Recipe DynamicConvs(WeightSpec? weights = null) => RecipeResolver.Resolve(new Recipe
    {
        Preset = "int8-dynamic",
        Weights = weights,
        Nodes = new NodeSelection { Include = new NodeFilter { OpTypes = ["Conv", "MatMul", "Gemm"] } },
    });

    [Fact]
    public void Symmetric_int8_convs_run_as_ConvInteger_and_keep_the_detection_maps()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrDet);
        var result = DynamicQuantizer.Quantize(model, DynamicConvs());

        var graph = result.Model.Graph;
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Conv");
        Assert.Equal(62, graph.Node.Count(n => n.OpType == "ConvInteger"));
        Assert.Equal(62, result.Nodes.Count);
        Assert.True(graph.Initializer.Count(t => t.DataType == (int)DT.Int8) >= 62, "Conv weights are stored as int8");
        // Symmetric int8: zero points are 0, the operator's default, so none is stored.
        Assert.All(graph.Node.Where(n => n.OpType == "ConvInteger"), n => Assert.True(n.Input.Count < 4 || n.Input[3].Length == 0));
        Assert.Contains(result.Warnings, w => w.Contains("ConvInteger is much slower"));
        Assert.All(result.Nodes, n => Assert.InRange(n.ErrorContribution!.Value, 0, 0.05));

        // Measured 0.933 at 640 (static int8: 0.93-0.96 depending on the calibration set).
        double iou = DetectionIoU.Of(model, result, OcrSamples.Detector(3, DetectorSize, EvaluationSeed));
        output.WriteLine($"det IoU@0.3 with dynamic ConvInteger {iou:F4}");
        Assert.True(iou >= 0.9, $"IoU {iou:F4}");
    }

    [Fact]
    public void Symmetric_uint8_weights_share_one_scalar_zero_point()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrDet);
        var result = DynamicQuantizer.Quantize(model, DynamicConvs(new WeightSpec { Type = "uint8", Symmetric = true }));

        var graph = result.Model.Graph;
        var zeroPoints = graph.Node.Where(n => n.OpType == "ConvInteger").Select(n => graph.Initializer.Single(t => t.Name == n.Input[3])).ToList();
        Assert.Equal(62, zeroPoints.Count);
        Assert.All(zeroPoints, z => Assert.Empty(z.Dims));
        double iou = DetectionIoU.Of(model, result, OcrSamples.Detector(1, DetectorSize, EvaluationSeed));
        Assert.True(iou >= 0.85, $"IoU {iou:F4}");
    }

    [Fact]
    public void Asymmetric_per_channel_weights_are_refused_with_the_reason()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrDet);
        var error = Assert.Throws<NotSupportedException>(() =>
            DynamicQuantizer.Quantize(model, DynamicConvs(new WeightSpec { Type = "uint8", Symmetric = false })));
        Assert.Contains("one weight zero point", error.Message);
        Assert.Contains("Conv 'p2o.Conv.", error.Message);
    }

    [Fact]
    public void An_opset_9_model_keeps_its_convs_float_and_says_why()
    {
        // The direction classifier imports opset 9; its attribute-form Clips change meaning at 11.
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls);
        var result = DynamicQuantizer.Quantize(model, DynamicConvs());

        Assert.Equal(53, result.Model.Graph.Node.Count(n => n.OpType == "Conv"));
        Assert.Contains(result.Warnings, w => w.Contains("opset 11") && w.Contains("Clip"));
        Assert.Single(result.Nodes); // the MatMul, as com.microsoft DynamicQuantizeMatMul
        using var quantized = new SessionRunner(result.Model);
        Assert.Equal(2, quantized.Run(OcrSamples.Classifier(1, EvaluationSeed).Samples().First()).Length);
    }

    [Fact]
    public void The_preset_alone_leaves_convs_float()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrDet);
        var result = DynamicQuantizer.Quantize(model, RecipeResolver.Resolve(new Recipe { Preset = "int8-dynamic" }));
        Assert.Equal(62, result.Model.Graph.Node.Count(n => n.OpType == "Conv"));
        Assert.DoesNotContain(result.Model.Graph.Node, n => n.OpType == "ConvInteger");
    }
}
