using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Xunit.Abstractions;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Tests.Static;

/// <summary>Static quantization of the real PP-OCR models, calibrated and checked on rendered text images.</summary>
public class PpOcrStaticTests(ITestOutputHelper output)
{
    private const int CalibrationSeed = 1, EvaluationSeed = 2;
    private const int DetectorSize = 320;

    private static Recipe Preset(string name) => RecipeResolver.Resolve(new Recipe { Preset = name });

    [Fact]
    public void Classifier_int8_static_agrees_with_fp32_on_rendered_text()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls);
        var result = StaticQdqQuantizer.Quantize(model, Preset("int8-static"), OcrSamples.Classifier(8, CalibrationSeed));

        var graph = result.Model.Graph;
        OnnxModel.FromProto(result.Model); // passes Qaas.Onnx's validation (topological order, defined names)
        Assert.False(result.Simulated);
        Assert.Contains(graph.Node, n => n.OpType == "QuantizeLinear");
        Assert.Contains(graph.Node, n => n.OpType == "DequantizeLinear");
        Assert.True(graph.Initializer.Count(t => t.DataType == (int)DT.Int8) >= 50, "Conv/MatMul weights are int8");
        Assert.DoesNotContain(graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Equal(54, result.Nodes.Count); // 53 Conv + 1 MatMul
        // Opset 9 cannot be raised to 13 (Clip, Softmax change meaning): ORT's own Q/DQ domain, ONNX opset 10 for QLinearConv.
        Assert.Equal(10, result.Model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Contains(result.Model.OpsetImport, o => o.Domain == QdqOpset.MicrosoftDomain);
        Assert.Contains(result.Warnings, w => w.Contains("com.microsoft"));
        // int8 weights are a quarter of fp32; the Q/DQ nodes and scales around every fused Add/Mul add ~20 KB on this 0.6 MB model.
        Assert.True(result.Model.CalculateSize() < model.Proto.CalculateSize() * 0.6,
            $"{result.Model.CalculateSize()} bytes vs {model.Proto.CalculateSize()}");

        double agreement = Agreement(model, result, OcrSamples.Classifier(24, EvaluationSeed));
        output.WriteLine($"top-1 agreement {agreement:P1}; warnings: {string.Join(" | ", result.Warnings)}");
        Assert.True(agreement >= 0.99, $"top-1 agreement {agreement:P1}");
    }

    [Fact]
    public void Classifier_int8_static_entropy_runs()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls);
        var result = StaticQdqQuantizer.Quantize(model, Preset("int8-static-entropy"), OcrSamples.Classifier(4, CalibrationSeed));

        Assert.Equal(54, result.Nodes.Count);
        using var quantized = new SessionRunner(result.Model);
        var probabilities = quantized.Run(OcrSamples.Classifier(1, EvaluationSeed).Samples().First());
        Assert.Equal(2, probabilities.Length);
        Assert.Equal(1f, probabilities[0] + probabilities[1], 3);
        // The KL search keeps at least 99.9% of each activation's mass (EntropyObserver.MinKeptMass): before that floor it
        // clipped these spiky text-image activations into the signal and agreed on ~71%.
        var agreement = Agreement(model, result, OcrSamples.Classifier(24, EvaluationSeed));
        output.WriteLine($"entropy top-1 agreement {agreement:P1}");
        Assert.True(agreement >= 0.99, $"top-1 agreement {agreement:P1}");
    }

    [Fact]
    public void Detector_int8_static_maps_match_fp32()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrDet);
        var result = StaticQdqQuantizer.Quantize(model, Preset("int8-static"), OcrSamples.Detector(8, DetectorSize, CalibrationSeed));

        Assert.False(result.Simulated);
        Assert.Equal(13, result.Model.OpsetImport.Single(o => o.Domain == "").Version); // 11 raised: nothing in it changes meaning
        // 62 Convs, and the head's two 2x2 stride-2 ConvTransposes as 1x1 Convs before one DepthToSpace.
        Assert.Equal(64, result.Nodes.Count);
        Assert.Contains("p2o.ConvTranspose.2", result.Nodes.Select(n => n.Name));
        Assert.Single(result.Model.Graph.Node, n => n.OpType == "DepthToSpace");
        double iou = DetectionIoU.Of(model, result, OcrSamples.Detector(3, DetectorSize, EvaluationSeed));
        output.WriteLine($"det IoU@0.3 {iou:F4}");
        // Measured 0.932 with every op int8 and MSE ranges. With only the weights int8 (activation Q/DQ removed) the maps
        // already reach just ~0.974 at 640, so the 0.97 goal needs the acceptance-driven fp32 fallback
        // (SensitivityFallbackTests: the stem's Convs kept, 0.979), not plain static PTQ.
        Assert.True(iou >= 0.92, $"IoU {iou:F4}");
    }

    [Fact]
    public void Detector_fp8_runs_in_ORT_and_is_marked_simulated()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrDet);
        var result = StaticQdqQuantizer.Quantize(model, Preset("fp8-e4m3"), OcrSamples.Detector(2, 160, CalibrationSeed));

        Assert.True(result.Simulated);
        Assert.Contains(result.Warnings, w => w.Contains("simulated", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(19, result.Model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Contains(result.Model.Graph.Initializer, t => t.DataType == (int)DT.Float8E4M3Fn);
        double iou = DetectionIoU.Of(model, result, OcrSamples.Detector(2, 160, EvaluationSeed));
        output.WriteLine($"fp8 det IoU@0.3 {iou:F4}");
        Assert.True(iou >= 0.75, $"IoU {iou:F4}"); // measured 0.84: per-tensor e4m3 weights on the same stem
    }

    [Fact]
    public void Float8_on_an_opset_9_model_that_cannot_be_raised_is_refused_with_the_reason()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls);
        var error = Assert.Throws<NotSupportedException>(() =>
            StaticQdqQuantizer.Quantize(model, Preset("fp8-e4m3"), OcrSamples.Classifier(1, CalibrationSeed)));
        Assert.Contains("Clip", error.Message);
    }

    private static double Agreement(OnnxModel model, QuantizedModel result, SampleFeed evaluation)
    {
        using var fp32 = new SessionRunner(model.Proto);
        using var quantized = new SessionRunner(result.Model);
        var agreement = new Top1Agreement();
        foreach (var sample in evaluation.Samples())
            agreement.Add(fp32.Run(sample), quantized.Run(sample), classes: 2);
        return agreement.Rate;
    }
}
