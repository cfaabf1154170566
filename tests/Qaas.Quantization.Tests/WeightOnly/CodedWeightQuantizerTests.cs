using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.WeightOnly;
using Qaas.Runtime.Tensors;
using static Qaas.Quantization.Tests.WeightOnly.TransformerRun;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Tests.WeightOnly;

public class CodedWeightQuantizerTests
{
    private static Recipe Recipe(string type, string granularity = "per-group", bool symmetric = false) => RecipeResolver.Resolve(new Recipe
    {
        Preset = "w4-rtn",
        Format = "qdq",
        Weights = new WeightSpec { Type = type, Granularity = granularity, GroupSize = 32, Symmetric = symmetric },
    });

    [Theory]
    [InlineData("int3")]
    [InlineData("nf4")]
    [InlineData("fp4e2m1")]
    public void Dequantize_graph_rebuilds_exactly_the_coded_weight(string type)
    {
        const int k = 64, n = 24;
        var w = TestData.Gaussian(k * n, 0.05f, seed: 11);
        var model = new ModelProto { IrVersion = 8 };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 13 });
        model.Graph = new GraphProto { Name = "matmul" };
        model.Graph.Input.Add(FloatInfo("x", k, k));
        model.Graph.Output.Add(FloatInfo("y", k, n));
        model.Graph.Initializer.Add(TensorData.Create<float>("w", w, [k, n]));
        new GraphEditor(model).AddNode("MatMul", ["x", "w"], ["y"], "mm");

        var result = CodedWeightQuantizer.Quantize(OnnxModel.FromProto(model), Recipe(type), default);
        Assert.True(result.Simulated);
        Assert.DoesNotContain(result.Model.Graph.Initializer, t => t.Name == "w");
        Assert.Contains(result.Model.Graph.Node, n => n.OpType == "Gather");

        // x = identity, so y is the dequantized weight itself.
        var identity = new float[k * k];
        for (int i = 0; i < k; i++) identity[i * k + i] = 1;
        var y = Run(result.Model, new Dictionary<string, Tensor> { ["x"] = Tensor.Create(identity, k, k) });
        var expected = WeightCoding.Encode(type, w, k, n, 32, symmetric: false).Dequantize();
        Assert.Equal(expected, y);
        Assert.InRange(result.Nodes.Single().ErrorContribution!.Value, 0.01, type == "int3" ? 0.25 : 0.15);
    }

    [Theory]
    [InlineData("nf4", "per-group")]
    [InlineData("fp4e2m1", "per-group")]
    [InlineData("int3", "per-channel")]
    public void Small_transformer_runs_and_shrinks(string type, string granularity)
    {
        var o = TransformerOptions.Small with { Blocks = 1 };
        var fp32 = TransformerModelBuilder.Build(o);
        var result = CodedWeightQuantizer.Quantize(OnnxModel.FromProto(fp32), Recipe(type, granularity), default);
        Assert.Equal(7, result.Nodes.Count);
        long before = fp32.Graph.Initializer.Where(t => t.Dims.Count == 2 && t.Name != "embedding").Sum(t => t.RawData.Length);
        long after = result.Model.Graph.Initializer.Where(t => t.DataType == (int)DT.Uint8).Sum(t => t.RawData.Length);
        Assert.Equal(before / 8, after);
        double cosine = Cosine(fp32, result.Model, Tokens(o, 1, 8));
        Assert.True(cosine >= (type == "int3" ? 0.95 : 0.99), $"cosine {cosine}");
    }

    private static ValueInfoProto FloatInfo(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float, Shape = shape } } };
    }
}
