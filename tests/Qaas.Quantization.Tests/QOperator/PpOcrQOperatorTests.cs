using Qaas.Onnx.Io;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.QOperator;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Quantization.Tests.Static;
using Xunit.Abstractions;
using static Qaas.Quantization.Tests.QOperator.QOperatorGraph;

namespace Qaas.Quantization.Tests.QOperator;

/// <summary>QOperator on the real PP-OCR text-direction classifier (opset 9, com.microsoft Q/DQ), on rendered text.</summary>
public class PpOcrQOperatorTests(ITestOutputHelper output)
{
    [Fact]
    public void Classifier_QOperator_runs_in_ORT_equals_QDQ_and_agrees_with_fp32()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls);
        var recipe = RecipeResolver.Resolve(RecipeJson.Parse("""{"preset":"int8-static","format":"qoperator"}"""));
        // What Quantizers.Run does for this recipe, keeping the QDQ model to compare with.
        var qdq = StaticQdqQuantizer.Quantize(model, recipe, OcrSamples.Classifier(8, 1));
        var qop = QdqToQOperator.Apply(qdq);

        OnnxModel.FromProto(qop.Model);
        int convs = Count(qop.Model, "QLinearConv"), matmuls = Count(qop.Model, "QLinearMatMul");
        output.WriteLine($"{convs} QLinearConv, {matmuls} QLinearMatMul, {qop.Model.Graph.Node.Count} nodes " +
            $"({Count(qop.Model, "QuantizeLinear")} Q, {Count(qop.Model, "DequantizeLinear")} DQ); QDQ model {qdq.Model.Graph.Node.Count} nodes");
        output.WriteLine(string.Join(" | ", qop.Warnings));
        Assert.Equal(53, convs);
        Assert.Equal(0, Count(qop.Model, "Conv"));
        Assert.Empty(QdqLeftovers(qop.Model, "Conv", "MatMul", "Gemm"));
        // Every op of the QDQ graph has its QLinear kernel: hard-swish Adds/Muls, squeeze-excite pooling, residual Adds.
        Assert.Contains("QOperator format: 26 QLinearAdd, 53 QLinearConv, 10 QLinearGlobalAveragePool, 1 QLinearMatMul, 36 QLinearMul.", qop.Warnings);
        Assert.DoesNotContain(qop.Warnings, w => w.Contains("stay in QDQ form"));

        var evaluation = OcrSamples.Classifier(24, 2);
        var vsQdq = Compare(qdq.Model, qop.Model, evaluation).Values.Single();
        output.WriteLine($"vs QDQ: max abs {vsQdq.MaxAbsoluteError:E3}, cosine {vsQdq.CosineSimilarity:F7}");
        Assert.Equal(0, vsQdq.MaxAbsoluteError); // measured identical: ORT fuses the QDQ model into the same kernels

        using var fp32 = new SessionRunner(model.Proto);
        using var quantized = new SessionRunner(qop.Model);
        var agreement = new Top1Agreement();
        foreach (var sample in evaluation.Samples())
            agreement.Add(fp32.Run(sample), quantized.Run(sample), classes: 2);
        output.WriteLine($"top-1 agreement with fp32 {agreement.Rate:P1}");
        Assert.True(agreement.Rate >= 0.99, $"top-1 agreement {agreement.Rate:P1}");
    }
}
