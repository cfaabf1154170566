using System.Diagnostics;
using Qaas.Onnx.Io;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Search;
using Qaas.Quantization.Tests.Static;
using Qaas.Runtime.Tensors;
using Xunit.Abstractions;

namespace Qaas.Quantization.Tests.Search;

/// <summary>Sensitivity-driven fp32 fallback on the real PP-OCR detector and on a small Conv model.</summary>
public class SensitivityFallbackTests(ITestOutputHelper output)
{
    /// <summary>
    /// Output SQNR on the 6 calibration images that, with the greedy fallback, gives IoU >= 0.97 on fresh images.
    /// Measured on 320x320 (kept k -> calibration SQNR / fresh IoU): 0 -> 12.3 dB / 0.942, 3 -> 18.7 / 0.954,
    /// 7 -> 18.9 / 0.971, 15 -> 19.05 / 0.974. Calibration SQNR is noisy in k, so the limit sits above every point
    /// with IoU &lt; 0.97.
    /// </summary>
    private const double DetectorMinSqnrDb = 19;

    private static Recipe Static(double minSqnrDb) =>
        RecipeResolver.Resolve(new Recipe { Preset = "int8-static", Acceptance = new AcceptanceSpec { MinSqnrDb = minSqnrDb } });

    [Fact]
    public void Detector_keeps_its_most_sensitive_convs_in_fp32_until_the_maps_match()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrDet);
        var calibration = SampleFeed.FromList(OcrSamples.Detector(6, 320, seed: 1).Samples().ToList());

        var watch = Stopwatch.StartNew();
        var result = SensitivityFallback.Search(model, Static(DetectorMinSqnrDb), calibration);
        output.WriteLine($"search {watch.Elapsed.TotalSeconds:F1} s; SQNR {result.SqnrBeforeDb:F2} -> {result.SqnrAfterDb:F2} dB; " +
            $"met {result.LimitsMet}; kept {string.Join(", ", result.KeptFloat)}");

        var nodes = result.Model.Nodes;
        Assert.Equal(64, nodes.Count); // 62 Convs and the head's two ConvTransposes, now 1x1 Convs
        Assert.All(nodes, n => Assert.NotNull(n.Sensitivity));
        Assert.InRange(result.KeptFloat.Count, 1, 15); // fewer than 25% of them
        Assert.All(nodes.Where(n => result.KeptFloat.Contains(n.Name)), n => Assert.Equal(("fp32", 32), (n.Type, n.Bits)));
        Assert.Equal(64 - result.KeptFloat.Count, nodes.Count(n => n.Type == "int8"));
        // The kept ones are the most sensitive: none of the quantized nodes scored lower.
        var keptWorst = nodes.Where(n => n.Type == "fp32").Max(n => n.Sensitivity!.Value);
        Assert.All(nodes.Where(n => n.Type == "int8"), n => Assert.True(n.Sensitivity >= keptWorst));
        Assert.Contains(result.Model.Warnings, w => w.Contains(result.KeptFloat[0]));
        // Kept Convs have no Q/DQ on their weight: their fp32 weight is still a plain initializer input.
        var initializers = result.Model.Model.Graph.Initializer.ToDictionary(t => t.Name);
        var kept = result.Model.Model.Graph.Node.First(n => n.Name == result.KeptFloat[0]);
        Assert.Equal((int)Onnx.Proto.TensorProto.Types.DataType.Float, initializers[kept.Input[1]].DataType);

        // The report's search section: the fully quantized model, then one candidate per extra fp32 Conv until one passed.
        var search = result.Model.Search;
        Assert.NotNull(search);
        Assert.Equal(result.KeptFloat.Count + 1, search.CandidatesTried);
        Assert.True(search.Chosen.MinSqnrDb >= DetectorMinSqnrDb, $"chosen {search.Chosen}");
        Assert.InRange(search.Chosen.SizeRatio, 0.2, 1.0); // int8 weights with some Convs in fp32
        Assert.Contains(search.Chosen, search.ParetoFront);
        foreach (var p in search.ParetoFront)
            Assert.DoesNotContain(search.ParetoFront, q => q != p && q.SizeRatio <= p.SizeRatio && q.MinSqnrDb >= p.MinSqnrDb);

        double iou = DetectionIoU.Of(model, result.Model, OcrSamples.Detector(3, 320, seed: 2));
        output.WriteLine($"IoU@0.3 on fresh images {iou:F4}");
        Assert.True(iou >= 0.97, $"IoU {iou:F4}");
    }

    [Fact]
    public void A_model_that_already_meets_the_limits_stays_fully_quantized()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var result = SensitivityFallback.Search(model, Static(20), SmallFeed(4));

        output.WriteLine($"SQNR {result.SqnrBeforeDb:F2} dB");
        Assert.True(result.LimitsMet);
        Assert.True(result.SqnrBeforeDb >= 20);
        Assert.Empty(result.KeptFloat);
        Assert.Empty(result.Sensitivity); // nothing to search for
        Assert.Equal(2, result.Model.Nodes.Count);
        Assert.All(result.Model.Nodes, n => Assert.Equal("int8", n.Type));
        Assert.Equal(1, result.Model.Search!.CandidatesTried);
        Assert.Equal([result.Model.Search.Chosen], result.Model.Search.ParetoFront);
        Assert.Equal(Math.Round(result.SqnrBeforeDb!.Value, 2), result.Model.Search.Chosen.MinSqnrDb);

        // The pipeline routes static recipes with acceptance limits through the fallback: same nodes, same warnings.
        var piped = Quantizers.Run(model, Static(20), SmallFeed(4), null, CancellationToken.None);
        Assert.Equal(result.Model.Nodes, piped.Nodes);
    }

    [Fact]
    public void Limits_out_of_reach_are_reported_with_every_node_sensitivity()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var result = Quantizers.Run(model, Static(200), SmallFeed(4), null, CancellationToken.None);

        // Two Convs: 25% of them rounds down to none that may stay fp32, so the limit cannot be met.
        Assert.All(result.Nodes, n => Assert.Equal("int8", n.Type));
        Assert.All(result.Nodes, n => Assert.InRange(n.Sensitivity!.Value, 10, 200));
        Assert.Contains(result.Warnings, w => w.Contains("could not be met") && w.Contains("no node may stay in fp32"));
    }

    [Fact]
    public void Sensitivities_already_measured_are_taken_as_given_and_new_ones_added()
    {
        var model = OnnxModel.FromProto(ConvBnReluModel.Build());
        var measured = Quantizers.Run(model, Static(200), SmallFeed(4), null, CancellationToken.None).Nodes.ToDictionary(n => n.Name, n => n.Sensitivity!.Value);
        var known = new Dictionary<string, double> { [measured.Keys.First()] = 1234.5 }; // what an earlier run saved

        var result = Quantizers.Run(model, Static(200), SmallFeed(4), null, CancellationToken.None, sensitivities: known);

        var nodes = result.Nodes.ToDictionary(n => n.Name, n => n.Sensitivity!.Value);
        Assert.Equal(1234.5, nodes[measured.Keys.First()]);
        Assert.Equal(measured[measured.Keys.Last()], nodes[measured.Keys.Last()], 6);
        Assert.Equal(measured.Keys.Order(), known.Keys.Order()); // the measured one was added for the next run
    }

    [Fact]
    public void Weight_only_recipes_say_their_acceptance_limits_are_a_verdict_only()
    {
        var model = OnnxModel.FromProto(ModelBuilder.Mlp());
        var recipe = RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn", Acceptance = new AcceptanceSpec { MinSqnrDb = 30 } });
        var result = Quantizers.Run(model, recipe, null, null, CancellationToken.None);
        Assert.Contains(result.Warnings, w => w.Contains("do not steer this recipe"));
        var plain = Quantizers.Run(model, recipe with { Acceptance = null }, null, null, CancellationToken.None);
        Assert.DoesNotContain(plain.Warnings, w => w.Contains("do not steer"));
    }

    private static SampleFeed SmallFeed(int count) => TestData.Images(count, seed: 40);
}
