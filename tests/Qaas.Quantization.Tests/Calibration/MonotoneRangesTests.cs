using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Calibration;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;
using Qaas.TestSupport;

namespace Qaas.Quantization.Tests.Calibration;

public class MonotoneRangesTests
{
    private const int F = (int)TensorProto.Types.DataType.Float;
    private static readonly ActivationSpec MinMax = new() { Type = "uint8", Calibration = "minmax" };

    private static readonly string[] Observed = ["c", "r6", "m", "hs", "flat", "s", "n", "hsig", "lr", "pc", "neg2", "sq"];

    [Fact]
    public void Chains_of_monotone_ops_with_scalar_constants_are_derived_and_nothing_else()
    {
        var plan = MonotoneRanges.Plan(OnnxModel.FromProto(ChainModel()), Observed);

        // m = c * r6 has two computed inputs, pc adds a per-channel vector, sq squares: each needs its own values.
        Assert.Equal(["flat", "hs", "hsig", "lr", "n", "neg2", "r6", "s"], plan.Derived.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Minmax_calibration_gives_derived_tensors_the_ranges_ORT_computes()
    {
        var model = OnnxModel.FromProto(ChainModel());
        var feed = TestData.Feed(4, i => Tensor.Create(TestData.Uniform(2 * 5 * 5, -1 - 0.2f * i, 1 + 0.2f * i, seed: 30 + i), 1, 2, 5, 5));

        var ranges = CalibrationRunner.Run(model, Observed, feed, MinMax, CancellationToken.None);

        AssertRangesMatch(ReferenceRanges(model, Observed, feed), ranges);
        Assert.True(ranges["r6"].Min > 0 && ranges["r6"].Max < 6); // inside the clip bounds: the + 3 shows
        Assert.True(ranges["neg2"].Min < 0 && ranges["neg2"].Max > 0);
    }

    [Fact]
    public void PP_OCR_classifier_ranges_are_those_of_capturing_every_tensor()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls);
        string[] floatOps = ["Conv", "BatchNormalization", "Relu", "Add", "Clip", "Mul", "Div", "HardSigmoid", "GlobalAveragePool", "MaxPool"];
        var observed = model.Graph.Node.Where(n => floatOps.Contains(n.OpType)).Select(n => n.Output[0]).ToList();
        var feed = OcrSamples.Classifier(2, seed: 5);

        var ranges = CalibrationRunner.Run(model, observed, feed, MinMax, CancellationToken.None);

        var monotone = MonotoneRanges.Plan(model, observed);
        var pointwise = PointwiseRanges.Plan(model, observed, monotone);
        Assert.True(monotone.Derived.Count >= 30); // HardSwish's Clip and / 6 at least
        Assert.Equal(18, pointwise.Derived.Count); // HardSwish's t * Clip(t + 3, 0, 6)
        var expected = ReferenceRanges(model, observed, feed);
        AssertRangesMatch(expected, ranges);
        Assert.All(pointwise.Derived, name => Assert.Equal(expected[name], ranges[name])); // ORT's own float ops: exact
    }

    [Fact]
    public void Histogram_methods_derive_only_reshaped_and_positively_scaled_tensors()
    {
        var plan = MonotoneRanges.Plan(OnnxModel.FromProto(ChainModel()), Observed, histograms: true);

        // hs = m / 6 and flat = Reshape(hs); the shifted, clipped, negated or negatively scaled ones need their values.
        Assert.Equal(["flat", "hs"], plan.Derived.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Mse_calibration_gives_scaled_tensors_the_range_their_own_histogram_would()
    {
        var model = OnnxModel.FromProto(ChainModel());
        // 60 samples of 100 values: past CalibrationRunner.MinValuesForHistogram, so the MSE search places the ranges.
        // A heavy tail (every 25th value x8) that the search clips.
        var feed = TestData.Feed(60, i => Tensor.Create(TestData.Gaussian(2 * 5 * 5, 1 + 0.01f * i, seed: 70 + i)
            .Select((v, j) => (j + i) % 25 == 0 ? v * 8 : v).ToArray(), 1, 2, 5, 5));
        var mse = new ActivationSpec { Type = "uint8", Calibration = "mse", Symmetric = false };

        var ranges = CalibrationRunner.Run(model, Observed, feed, mse, CancellationToken.None);

        // Each tensor captured and searched on its own histogram, kept inside its exact extremes as the runner does.
        using var session = InferenceSession.Create(CalibrationRunner.WithOutputs(model.Proto, Observed));
        var own = Observed.ToDictionary(t => t, _ => new MseObserver(QuantType.UInt8, symmetric: false));
        foreach (var sample in feed.Samples())
            foreach (var (name, tensor) in session.Run(sample, Observed))
                own[name].Observe(tensor.AsSpan<float>());
        foreach (var name in new[] { "m", "hs", "flat" })
        {
            var (lo, hi) = own[name].ComputeRange();
            var h = own[name].Histogram;
            (float Min, float Max) expected = (Math.Max(lo, h.ObservedMin), Math.Min(hi, h.ObservedMax));
            // The search steps the range in 1/200ths: float rounding may move a near-tie by a step, no more.
            float step = (expected.Max - expected.Min) / 200 * 1.01f;
            Assert.True(Math.Abs(ranges[name].Min - expected.Min) <= step && Math.Abs(ranges[name].Max - expected.Max) <= step,
                $"{name}: [{ranges[name].Min}, {ranges[name].Max}] vs its own histogram's [{expected.Min}, {expected.Max}]");
            Assert.True(expected.Max < h.ObservedMax); // the search clipped: a range min/max alone would not give
        }
        Assert.Equal(ranges["hs"], ranges["flat"]);
        Assert.Equal(ranges["m"].Max / 6, ranges["hs"].Max, 1e-6f);
    }

    [Fact]
    public void A_captured_tensor_that_is_not_float_fails_the_calibration_precisely()
    {
        var g = new GraphProto { Name = "shape" };
        g.Input.Add(ModelBuilder.Tensor("x", F, 1, 2));
        g.Output.Add(ModelBuilder.Tensor("s", (int)TensorProto.Types.DataType.Int64, 2));
        g.Node.Add(ModelBuilder.Node("Shape", "shape", ["x"], ["s"]));
        var model = new ModelProto { IrVersion = 8, Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        var feed = TestData.Feed(3, i => Tensor.Create(new float[] { i, -i }, 1, 2));

        var error = Assert.Throws<InvalidOperationException>(() =>
            CalibrationRunner.Run(OnnxModel.FromProto(model), ["s"], feed, MinMax, CancellationToken.None));
        Assert.Contains("'s' is Int64", error.Message);
    }

    /// <summary>Every tensor as a graph output, min/max over all samples computed here.</summary>
    internal static Dictionary<string, (float Min, float Max)> ReferenceRanges(OnnxModel model, IReadOnlyList<string> tensors, SampleFeed feed)
    {
        using var session = InferenceSession.Create(CalibrationRunner.WithOutputs(model.Proto, tensors));
        var ranges = tensors.ToDictionary(t => t, _ => (Min: float.MaxValue, Max: float.MinValue));
        foreach (var sample in feed.Samples())
            foreach (var (name, tensor) in session.Run(sample, tensors))
                foreach (var v in tensor.AsSpan<float>())
                    ranges[name] = (Math.Min(ranges[name].Min, v), Math.Max(ranges[name].Max, v));
        return ranges;
    }

    // Fused and unfused kernels may round HardSigmoid's a * x + b differently; everything else matches exactly.
    private static void AssertRangesMatch(Dictionary<string, (float Min, float Max)> expected, IReadOnlyDictionary<string, (float Min, float Max)> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, (min, max)) in expected)
        {
            Assert.True(Math.Abs(actual[name].Min - min) <= 1e-5f * Math.Max(1, Math.Abs(min)), $"{name}: min {actual[name].Min} vs {min}");
            Assert.True(Math.Abs(actual[name].Max - max) <= 1e-5f * Math.Max(1, Math.Abs(max)), $"{name}: max {actual[name].Max} vs {max}");
        }
    }

    /// <summary>
    /// x -> Conv -> c; HardSwish spelled out (c + 3, Clip(0, 6) -> r6, c * r6 -> m, / 6 -> hs); then Reshape, 1 - x,
    /// Neg, HardSigmoid, LeakyRelu; beside it c + per-channel vector (pc), c * -2 (neg2) and c * c (sq). Opset 13.
    /// </summary>
    private static ModelProto ChainModel()
    {
        var g = new GraphProto { Name = "monotone" };
        g.Input.Add(ModelBuilder.Tensor("x", F, 1, 2, 5, 5));
        foreach (var output in new[] { "lr", "pc", "neg2", "sq" })
            g.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = F } } });
        g.Initializer.Add(TensorData.Create<float>("w", [0.9f, -0.4f, 0.3f, 1.1f, -1.2f, 0.5f, 0.7f, 0.2f], [4, 2, 1, 1]));
        g.Initializer.Add(TensorData.Create<float>("three", [3f], []));
        g.Initializer.Add(TensorData.Create<float>("one", [1f], [1]));
        g.Initializer.Add(TensorData.Create<float>("minus_two", [-2f], [1, 1, 1, 1]));
        g.Initializer.Add(TensorData.Create<float>("per_channel", [1f, -1f, 2f, 0f], [1, 4, 1, 1]));
        g.Initializer.Add(TensorData.Create<long>("flat_shape", [1, -1], [2]));
        g.Node.Add(ModelBuilder.Node("Constant", "zero", [], ["zero"]));
        g.Node[^1].Attribute.Add(Attributes.Tensor("value", TensorData.Create<float>("zero", [0f], [])));
        g.Node.Add(ModelBuilder.Node("Constant", "six", [], ["six"]));
        g.Node[^1].Attribute.Add(Attributes.Float("value_float", 6f));
        g.Node.Add(ModelBuilder.Node("Conv", "conv", ["x", "w"], ["c"]));
        g.Node.Add(ModelBuilder.Node("Add", "plus3", ["c", "three"], ["a3"]));
        g.Node.Add(ModelBuilder.Node("Clip", "relu6", ["a3", "zero", "six"], ["r6"]));
        g.Node.Add(ModelBuilder.Node("Mul", "times", ["c", "r6"], ["m"]));
        g.Node.Add(ModelBuilder.Node("Div", "over6", ["m", "six"], ["hs"]));
        g.Node.Add(ModelBuilder.Node("Reshape", "flatten", ["hs", "flat_shape"], ["flat"]));
        g.Node.Add(ModelBuilder.Node("Sub", "one_minus", ["one", "flat"], ["s"]));
        g.Node.Add(ModelBuilder.Node("Neg", "neg", ["s"], ["n"]));
        g.Node.Add(ModelBuilder.Node("HardSigmoid", "hsig", ["n"], ["hsig"]));
        g.Node[^1].Attribute.Add(Attributes.Float("alpha", 0.3f));
        g.Node.Add(ModelBuilder.Node("LeakyRelu", "leaky", ["hsig"], ["lr"]));
        g.Node[^1].Attribute.Add(Attributes.Float("alpha", 0.1f));
        g.Node.Add(ModelBuilder.Node("Add", "bias", ["c", "per_channel"], ["pc"]));
        g.Node.Add(ModelBuilder.Node("Mul", "times_minus_two", ["minus_two", "c"], ["neg2"]));
        g.Node.Add(ModelBuilder.Node("Mul", "square", ["c", "c"], ["sq"]));
        var model = new ModelProto { IrVersion = 8, Graph = g, ProducerName = "qaas-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }
}
