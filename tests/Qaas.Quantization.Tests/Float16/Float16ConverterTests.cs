using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Float16;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Recipes;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Tests.Float16;

public class Float16ConverterTests
{
    private static Recipe Fp16(string type = "fp16") =>
        RecipeResolver.Resolve(new Recipe { Preset = "fp16", Weights = new WeightSpec { Type = type } });

    [Fact]
    public void Training_mode_BatchNormalization_stays_float32_so_that_its_statistics_keep_their_declared_type()
    {
        // The backend test's model outputs the running mean and variance as float32 beside y.
        var model = OnnxModel.Load(Path.Combine(RepositoryPaths.OnnxTestData, "node", "test_batchnorm_example_training_mode", "model.onnx"));
        var result = Float16Converter.Quantize(model, Fp16(), default);
        Assert.DoesNotContain(result.Nodes, n => n.OpType == "BatchNormalization");
        using var session = InferenceSession.Create(result.Model.ToByteArray()); // ORT refused the float16 statistics before
        Assert.All(session.Outputs, o => Assert.Equal(TensorElementType.Float, o.ElementType));
    }

    [Theory]
    [InlineData("fp16", 6)]
    [InlineData("bf16", 13)]
    public void An_opset_5_model_has_its_opset_raised_so_that_its_Casts_are_valid(string type, long opset)
    {
        // y = x @ W with W [4, 256] of quarters (exact in fp16 and bf16): before opset 6 Cast's 'to' was a string, and
        // Cast takes bfloat16 from opset 13.
        const int Width = 256;
        var g = new GraphProto { Name = "old" };
        g.Input.Add(ModelBuilder.Tensor("x", (int)DT.Float, 1, 4));
        g.Output.Add(ModelBuilder.Tensor("y", (int)DT.Float, 1, Width));
        g.Initializer.Add(Onnx.Graph.TensorData.Create<float>("W", Enumerable.Range(0, 4 * Width).Select(i => i % 8 * 0.25f).ToArray(), [4, Width]));
        g.Node.Add(ModelBuilder.Node("MatMul", "mm", ["x", "W"], ["y"]));
        var result = Float16Converter.Quantize(OnnxModel.FromProto(ModelBuilder.Model(g, opset: 5)), Fp16(type), default);

        Assert.Equal(opset, result.Model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Contains(result.Model.Graph.Node, n => n.OpType == "Cast");
        using var session = InferenceSession.Create(result.Model.ToByteArray()); // ORT refused the integer 'to' at opset 5
        var y = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new float[] { 1, 2, 3, 4 }, 1, 4) }).Values.Single().ToArray<float>();
        // Column c: (1, 2, 3, 4) . (W[0,c], ..., W[3,c]) with W[r,c] = ((r * 256 + c) % 8) / 4 = (c % 8) / 4 for every r.
        Assert.Equal(Enumerable.Range(0, Width).Select(c => 10f * (c % 8) * 0.25f), y);
    }

    [Fact]
    public void Small_transformer_in_fp16_keeps_its_interface_and_stays_close()
    {
        var o = TransformerOptions.Small;
        var fp32 = TransformerModelBuilder.Build(o);
        var result = Float16Converter.Quantize(OnnxModel.FromProto(fp32), Fp16(), default);
        var g = result.Model.Graph;

        // Weight MatMuls compute in fp16 on fp16 weights; LayerNorm and Softmax stay float32 behind Casts.
        Assert.Contains(g.Initializer, t => t.DataType == (int)DT.Float16 && t.Dims.Count == 2);
        Assert.DoesNotContain(g.Initializer, t => t.DataType == (int)DT.Float && t.Dims.Count == 2);
        Assert.All(g.Node.Where(n => n.OpType == "LayerNormalization"), n => Assert.DoesNotContain(n.Input, i => i.EndsWith("_fp16")));
        Assert.Contains(g.Node, n => n.OpType == "Cast");
        Assert.Contains(result.Warnings, w => w.Contains("size option"));
        Assert.False(result.Simulated);
        Assert.Contains(result.Nodes, n => n.OpType == "MatMul" && n.Bits == 16);

        double ratio = (double)result.Model.CalculateSize() / fp32.CalculateSize();
        Assert.InRange(ratio, 0.45, 0.56);

        // Same names, float32 types and symbolic dimensions at the boundary.
        using var session = InferenceSession.Create(result.Model.ToByteArray());
        Assert.Equal(TensorElementType.Int64, session.Inputs[0].ElementType);
        Assert.Equal(["batch", "seq"], session.Inputs[0].SymbolicDimensions);
        Assert.Equal("logits", session.Outputs[0].Name);
        Assert.Equal(TensorElementType.Float, session.Outputs[0].ElementType);
        Assert.Equal("batch", session.Outputs[0].SymbolicDimensions[0]);

        double cosine = Cosine(fp32, result.Model, Tokens(o, 2, 16));
        Assert.True(cosine >= 0.999, $"cosine {cosine}");
    }

    [Fact]
    public void PpOcr_classifier_in_fp16_agrees_and_halves()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls);
        var result = Float16Converter.Quantize(model, Fp16(), default);
        double ratio = (double)result.Model.CalculateSize() / model.Proto.CalculateSize();
        Assert.InRange(ratio, 0.45, 0.6);

        using var reference = InferenceSession.Create(model.Proto.ToByteArray());
        using var candidate = InferenceSession.Create(result.Model.ToByteArray());
        Assert.Equal(reference.Inputs[0].SymbolicDimensions, candidate.Inputs[0].SymbolicDimensions);
        Assert.Equal(reference.Inputs[0].Shape, candidate.Inputs[0].Shape);
        Assert.Equal(reference.Outputs[0].Shape, candidate.Outputs[0].Shape);
        Assert.Equal(TensorElementType.Float, candidate.Outputs[0].ElementType);

        var errors = new ErrorAccumulator();
        int agree = 0, samples = 4;
        for (int s = 0; s < samples; s++)
        {
            var x = TestData.Uniform(3 * 48 * 192, -1, 1, seed: s);
            var inputs = new Dictionary<string, Tensor> { [reference.Inputs[0].Name] = Tensor.Create(x, 1, 3, 48, 192) };
            var a = reference.Run(inputs)[reference.Outputs[0].Name].ToArray<float>();
            var b = candidate.Run(inputs)[candidate.Outputs[0].Name].ToArray<float>();
            errors.Add(a, b);
            if (Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max())) agree++;
        }
        Assert.Equal(samples, agree);
        Assert.True(errors.CosineSimilarity >= 0.999, $"cosine {errors.CosineSimilarity}");
    }

    [Fact]
    public void PpOcr_detector_keeps_out_of_range_batchnorm_in_float32()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrDet);
        var result = Float16Converter.Quantize(model, Fp16(), default);
        // The head's first BatchNormalization follows a Conv whose outputs reach ~5000: its variance overflows float16.
        var head = result.Model.Graph.Node.Single(n => n.Output.Contains("batch_norm_0.tmp_3"));
        Assert.DoesNotContain(head.Input, i => i.EndsWith("_fp16"));
        Assert.Contains(result.Model.Graph.Node, n => n.OpType == "BatchNormalization" && n.Input.Any(i => i.EndsWith("_fp16")));

        using var reference = InferenceSession.Create(model.Proto.ToByteArray());
        using var candidate = InferenceSession.Create(result.Model.ToByteArray());
        Assert.Equal(reference.Inputs[0].SymbolicDimensions, candidate.Inputs[0].SymbolicDimensions);
        var inputs = new Dictionary<string, Tensor>
        {
            [reference.Inputs[0].Name] = Tensor.Create(TestData.Uniform(3 * 320 * 320, -1, 1, seed: 1), 1, 3, 320, 320),
        };
        var errors = new ErrorAccumulator();
        errors.Add(reference.Run(inputs)[reference.Outputs[0].Name].ToArray<float>(),
            candidate.Run(inputs)[candidate.Outputs[0].Name].ToArray<float>());
        Assert.True(errors.CosineSimilarity >= 0.99, $"cosine {errors.CosineSimilarity}");
    }

    [Fact]
    public void Excluded_op_types_stay_float32()
    {
        var o = TransformerOptions.Small with { Blocks = 1 };
        var fp32 = TransformerModelBuilder.Build(o);
        var recipe = Fp16() with { Nodes = new NodeSelection { Exclude = new NodeFilter { OpTypes = ["MatMul"] } } };
        var result = Float16Converter.Quantize(OnnxModel.FromProto(fp32), recipe, default);
        Assert.Contains(result.Model.Graph.Initializer, t => t.Name == "lm_head.weight" && t.DataType == (int)DT.Float);
        Assert.True(Cosine(fp32, result.Model, Tokens(o, 1, 8)) >= 0.999);
    }

    [Fact]
    public void Bf16_stores_weights_and_runs_simulated()
    {
        var o = TransformerOptions.Small;
        var fp32 = TransformerModelBuilder.Build(o);
        var result = Float16Converter.Quantize(OnnxModel.FromProto(fp32), Fp16("bf16"), default);
        Assert.True(result.Simulated);
        Assert.Contains(result.Model.Graph.Initializer, t => t.DataType == (int)DT.Bfloat16);
        Assert.InRange((double)result.Model.CalculateSize() / fp32.CalculateSize(), 0.45, 0.56);
        double cosine = Cosine(fp32, result.Model, Tokens(o, 2, 16));
        Assert.True(cosine >= 0.999, $"cosine {cosine}");
    }
}
