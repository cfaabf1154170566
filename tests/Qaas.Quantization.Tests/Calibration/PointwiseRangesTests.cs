using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Calibration;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Runtime.Tensors;
using Qaas.TestSupport;

namespace Qaas.Quantization.Tests.Calibration;

public class PointwiseRangesTests
{
    private const int F = (int)TensorProto.Types.DataType.Float;
    private static readonly ActivationSpec MinMax = new() { Type = "uint8", Calibration = "minmax" };

    private static readonly string[] Observed = ["x", "c", "d", "m", "hs", "se", "hsw", "silu", "sq", "inv", "lr", "xr", "pc", "cd"];

    // What each derived tensor is a function of (ChainModel's comment spells the functions out).
    private static readonly Dictionary<string, string> Sources = new()
    {
        ["m"] = "c", ["se"] = "c", ["hsw"] = "c", ["sq"] = "c", ["inv"] = "c", ["lr"] = "c", ["xr"] = "x",
    };

    [Fact]
    public void Pointwise_functions_of_one_read_tensor_are_derived_and_nothing_else()
    {
        var model = OnnxModel.FromProto(ChainModel());
        var monotone = MonotoneRanges.Plan(model, Observed);

        var plan = PointwiseRanges.Plan(model, Observed, monotone);

        // hs = m / 6 is monotone in m; pc adds a per-channel vector, cd = c * d mixes two captured tensors, and silu
        // needs Sigmoid, which ORT approximates its own way (and e^x costs more than a capture).
        Assert.Equal(["hs"], monotone.Derived);
        Assert.Equal(Sources.Keys.Order(StringComparer.Ordinal), plan.Derived.Order(StringComparer.Ordinal));
        Assert.All(Sources, kv => Assert.Equal(kv.Value, plan.SourceOf(kv.Key)));
        Assert.Equal(["c", "x"], plan.Derived.Select(plan.SourceOf).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Minmax_calibration_gives_pointwise_tensors_the_ranges_ORT_computes()
    {
        var model = OnnxModel.FromProto(ChainModel());
        // 3,198 values per sample: whole vectors and a scalar tail.
        var feed = TestData.Feed(3, i => Tensor.Create(TestData.Uniform(2 * 39 * 41, -6 - i, 6 + i, seed: 40 + i), 1, 2, 39, 41));

        var ranges = CalibrationRunner.Run(model, Observed, feed, MinMax, CancellationToken.None);

        var expected = MonotoneRangesTests.ReferenceRanges(model, Observed, feed);
        Assert.Equal(expected.Keys.Order(), ranges.Keys.Order());
        foreach (var (name, (min, max)) in expected)
        {
            // ORT's own float operations in its order: bit for bit.
            Assert.True(ranges[name] == (min, max), $"{name}: {ranges[name]} vs ({min}, {max})");
        }
        Assert.True(ranges["m"].Min < 0 && ranges["hsw"].Min < 0 && ranges["lr"].Min < ranges["c"].Min); // not monotone
    }

    [Fact]
    public void A_function_range_covers_the_tail_and_skips_NaN()
    {
        var f = PointwiseExpression.Multiply(PointwiseExpression.Source, PointwiseExpression.LeakyRelu(PointwiseExpression.Source, 0.5f));
        var x = Enumerable.Range(0, 37).Select(i => (i % 7) - 3f).ToArray(); // whole vector steps (32 values), then a 5-value tail
        x[36] = -10f;

        Assert.Equal((new PointwiseExpression.Extremes(0f, 50f), new PointwiseExpression.Extremes(-10f, 3f)), f.RangesOf(x)); // -10 * -5
        x[3] = float.NaN;
        x[36] = 4f;
        Assert.Equal((new PointwiseExpression.Extremes(0f, 16f), new PointwiseExpression.Extremes(-3f, 4f)), f.RangesOf(x));
        Assert.Equal(PointwiseExpression.Extremes.Empty, f.RangesOf([float.NaN]).Function);
    }

    [Fact]
    public void A_histogram_method_captures_every_tensor_it_observes()
    {
        var model = OnnxModel.FromProto(ChainModel());
        var feed = TestData.Feed(2, i => Tensor.Create(TestData.Uniform(2 * 39 * 41, -3, 3, seed: 50 + i), 1, 2, 39, 41));
        var percentile = new ActivationSpec { Type = "uint8", Calibration = "percentile", Percentile = 100 };

        var ranges = CalibrationRunner.Run(model, Observed, feed, percentile, CancellationToken.None);

        // With every value seen, the 100th percentile of m (not derived now) is close to its min/max.
        var expected = MonotoneRangesTests.ReferenceRanges(model, Observed, feed);
        Assert.InRange(ranges["m"].Min, expected["m"].Min - 0.05f, expected["m"].Min + 0.05f);
        Assert.InRange(ranges["m"].Max, expected["m"].Max - 0.05f, expected["m"].Max + 0.05f);
    }

    /// <summary>
    /// x -> Conv -> c, x -> Conv -> d. From c: m = c * Clip(c + 3, 0, 6) (decomposed HardSwish) and hs = m / 6;
    /// se = c * HardSigmoid(c); hsw = HardSwish(c); silu = c * Sigmoid(c); sq = c * c; inv = 2 / (Relu(c) + 1);
    /// lr = LeakyRelu(0.5 - c) - c. From the graph input: xr = x * Relu(x). Not pointwise in one source:
    /// pc = c + per-channel vector, cd = c * d. Opset 14 (HardSwish).
    /// </summary>
    private static ModelProto ChainModel()
    {
        var g = new GraphProto { Name = "pointwise" };
        g.Input.Add(ModelBuilder.Tensor("x", F, 1, 2, 39, 41));
        foreach (var output in new[] { "hs", "se", "hsw", "silu", "sq", "inv", "lr", "xr", "pc", "cd" })
            g.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = F } } });
        g.Initializer.Add(TensorData.Create<float>("w", [0.9f, -0.4f, 0.3f, 1.1f], [2, 2, 1, 1]));
        g.Initializer.Add(TensorData.Create<float>("v", [-0.7f, 0.2f, 0.5f, 0.8f], [2, 2, 1, 1]));
        g.Initializer.Add(TensorData.Create<float>("three", [3f], []));
        g.Initializer.Add(TensorData.Create<float>("zero", [0f], []));
        g.Initializer.Add(TensorData.Create<float>("six", [6f], []));
        g.Initializer.Add(TensorData.Create<float>("one", [1f], [1]));
        g.Initializer.Add(TensorData.Create<float>("two", [2f], [1, 1, 1, 1]));
        g.Initializer.Add(TensorData.Create<float>("half", [0.5f], []));
        g.Initializer.Add(TensorData.Create<float>("per_channel", [1f, -1f], [1, 2, 1, 1]));
        g.Node.Add(ModelBuilder.Node("Conv", "conv", ["x", "w"], ["c"]));
        g.Node.Add(ModelBuilder.Node("Conv", "conv_d", ["x", "v"], ["d"]));
        g.Node.Add(ModelBuilder.Node("Add", "plus3", ["c", "three"], ["a3"]));
        g.Node.Add(ModelBuilder.Node("Clip", "relu6", ["a3", "zero", "six"], ["r6"]));
        g.Node.Add(ModelBuilder.Node("Mul", "times", ["c", "r6"], ["m"]));
        g.Node.Add(ModelBuilder.Node("Div", "over6", ["m", "six"], ["hs"]));
        g.Node.Add(ModelBuilder.Node("HardSigmoid", "hsig", ["c"], ["hsig"]));
        g.Node.Add(ModelBuilder.Node("Mul", "se", ["c", "hsig"], ["se"]));
        g.Node.Add(ModelBuilder.Node("HardSwish", "hsw", ["c"], ["hsw"]));
        g.Node.Add(ModelBuilder.Node("Sigmoid", "sigmoid", ["c"], ["sig"]));
        g.Node.Add(ModelBuilder.Node("Mul", "silu", ["sig", "c"], ["silu"]));
        g.Node.Add(ModelBuilder.Node("Mul", "square", ["c", "c"], ["sq"]));
        g.Node.Add(ModelBuilder.Node("Relu", "relu", ["c"], ["rc"]));
        g.Node.Add(ModelBuilder.Node("Add", "plus1", ["rc", "one"], ["rc1"]));
        g.Node.Add(ModelBuilder.Node("Div", "inverse", ["two", "rc1"], ["inv"]));
        g.Node.Add(ModelBuilder.Node("Sub", "half_minus", ["half", "c"], ["hm"]));
        g.Node.Add(ModelBuilder.Node("LeakyRelu", "leaky", ["hm"], ["lk"]));
        g.Node[^1].Attribute.Add(Attributes.Float("alpha", 0.1f));
        g.Node.Add(ModelBuilder.Node("Sub", "minus_c", ["lk", "c"], ["lr"]));
        g.Node.Add(ModelBuilder.Node("Relu", "relu_x", ["x"], ["rx"]));
        g.Node.Add(ModelBuilder.Node("Mul", "x_relu", ["x", "rx"], ["xr"]));
        g.Node.Add(ModelBuilder.Node("Add", "bias", ["c", "per_channel"], ["pc"]));
        g.Node.Add(ModelBuilder.Node("Mul", "c_d", ["c", "d"], ["cd"]));
        var model = new ModelProto { IrVersion = 8, Graph = g, ProducerName = "qaas-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 14 });
        return model;
    }
}
