using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Dynamic;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using Qaas.Runtime.Tensors;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;

namespace Qaas.Quantization.Tests.Dynamic;

/// <summary>
/// The openWakeWord head is three Gemms with transB = 1 and a bias: the quantizers fold transB and C in. The model's
/// output passes an If that runs a verifier (three more Gemms, reading main-graph weights) only when the score passes
/// a threshold, so the tests read the last Gemm's logit instead.
/// </summary>
public class GemmTests
{
    private static readonly NodeSelection Gemms = new() { Include = new NodeFilter { OpTypes = ["Gemm"] } };

    [Fact]
    public void Wake_word_head_gemms_are_quantized_by_every_weight_quantizer()
    {
        var model = OnnxModel.Load(RepositoryPaths.Model("openwakeword", "hey_jarvis_v0.1.onnx"));
        var results = new[]
        {
            DynamicQuantizer.Quantize(model, RecipeResolver.Resolve(new Recipe { Preset = "int8-dynamic" }), default),
            DynamicQuantizer.Quantize(model, RecipeResolver.Resolve(new Recipe { Preset = "int8-dynamic" }), DynamicMatMulForm.Fused, default),
            MatMulNBitsQuantizer.Quantize(model, RecipeResolver.Resolve(new Recipe
            {
                Preset = "w4-rtn", Weights = new WeightSpec { Type = "int8", GroupSize = 32 }, Nodes = Gemms,
            }), default),
            CodedWeightQuantizer.Quantize(model, RecipeResolver.Resolve(new Recipe
            {
                Preset = "w4-rtn", Format = "qdq", Weights = new WeightSpec { Type = "nf4", GroupSize = 64 }, Nodes = Gemms,
            }), default),
        };
        var errors = results.Select(_ => new ErrorAccumulator()).ToArray();
        for (int s = 0; s < 4; s++)
        {
            var inputs = new Dictionary<string, Tensor> { ["x.1"] = Tensor.Create(TestData.Uniform(16 * 96, -2, 2, seed: s), 1, 16, 96) };
            var reference = Run(LogitOnly(model.Proto), inputs);
            for (int i = 0; i < results.Length; i++) errors[i].Add(reference, Run(LogitOnly(results[i].Model), inputs));
        }
        for (int i = 0; i < results.Length; i++)
        {
            // The head's three Gemms, and the verifier branch's three (SubgraphTests runs such branches).
            Assert.Equal(3, results[i].Nodes.Count(n => !n.Name.Contains('/')));
            Assert.Equal(3, results[i].Nodes.Count(n => n.Name.StartsWith("If_32/then_branch/", StringComparison.Ordinal)));
            Assert.DoesNotContain(results[i].Model.Graph.Node, n => n.OpType == "Gemm");
            Assert.True(errors[i].SqnrDb > (i == 3 ? 15 : 25), $"result {i}: SQNR {errors[i].SqnrDb} dB");
        }
    }

    private static ModelProto LogitOnly(ModelProto model)
    {
        var copy = model.Clone();
        copy.Graph.Output.Clear();
        copy.Graph.Output.Add(new ValueInfoProto
        {
            Name = "input.19",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        return copy;
    }
}
