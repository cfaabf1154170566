using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Quantization.Dynamic;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.WeightOnly;

/// <summary>PP-OCR keeps its weights in Constant nodes; its classifier head is a MatMul with such a weight.</summary>
public class ConstantNodeWeightTests
{
    [Fact]
    public void PpOcr_classifier_head_is_rewritten_by_both_quantizers()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls);
        var x = TestData.Uniform(3 * 48 * 192, -1, 1, seed: 3);
        var inputs = new Dictionary<string, Tensor> { ["x"] = Tensor.Create(x, 1, 3, 48, 192) };
        var reference = TransformerRun.Run(model.Proto, inputs);

        var w8 = MatMulNBitsQuantizer.Quantize(model,
            RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Weights = new WeightSpec { Type = "int8", GroupSize = 32 } }), default);
        var dynamic = DynamicQuantizer.Quantize(model, RecipeResolver.Resolve(new Recipe { Preset = "int8-dynamic" }), default);
        Assert.Single(w8.Nodes);
        Assert.Single(dynamic.Nodes);
        Assert.Contains(w8.Model.Graph.Node, n => n.OpType == "MatMulNBits");
        // The classifier imports opset 9: too old for DynamicQuantizeLinear, so the com.microsoft operator is used.
        Assert.Contains(dynamic.Model.Graph.Node, n => n.OpType == "DynamicQuantizeMatMul");
        Assert.Contains(dynamic.Warnings, w => w.Contains("opset"));
        foreach (var result in new[] { w8, dynamic })
        {
            var errors = new ErrorAccumulator();
            errors.Add(reference, TransformerRun.Run(result.Model, inputs));
            Assert.True(errors.CosineSimilarity >= 0.999, $"cosine {errors.CosineSimilarity}");
        }
    }
}
