using Qaas.Quantization.Reports;

namespace Qaas.Quantization.Tests.Reports;

/// <summary>A complete report whose names try to break out of the HTML (script tags, quotes, closing tags).</summary>
internal static class SampleReports
{
    public const string Evil = "<script>alert(1)</script>";

    public static QuantizationReport Tricky() => new()
    {
        Original = new ModelStats(4_000_000, 1_000_000, new Dictionary<string, int> { ["Conv"] = 3 }),
        Quantized = new ModelStats(1_050_000, 1_000_000, new Dictionary<string, int> { ["Conv"] = 3, ["QuantizeLinear"] = 3 }),
        CompressionRatio = 3.81,
        Outputs = new()
        {
            [Evil] = new OutputFidelity { SqnrDb = 31.5, Cosine = 0.9991, MaxAbsError = 0.02, MeanAbsError = 0.001, Top1Agreement = 0.97, Accuracy = 0.9, ReferenceAccuracy = 0.91 },
            ["exact"] = new OutputFidelity { SqnrDb = double.PositiveInfinity, Cosine = 1 },
        },
        Latency = new LatencyReport(new LatencyStats(12.5, 13.1, 15.0), new LatencyStats(4.2, 4.6, 5.3), 2.98, 1, "cpu",
            new Dictionary<string, long[]> { ["x&y"] = [1, 3, 48, 192] }, 20),
        Nodes =
        [
            new NodeReport("conv<1>&\"2\"", "Conv", "int8", 8, 0.12, 0.4),
            new NodeReport("head</td><td>", "MatMul", "int4", 4, null, 0.6),
        ],
        Search = new SearchReport(12, [new SearchPoint(0.25, 2.1, 28), new SearchPoint(0.4, 1.8, 35)], new SearchPoint(0.25, 2.1, 28)),
        Provenance = new Provenance("ab" + new string('0', 62), "cd" + new string('1', 62), null, null, "1.0.0<beta>", "1.30.0"),
        Warnings = ["calibration data was synthetic", "<img src=x onerror=alert(1)>"],
        Stages = [new StageTiming("quantize", 1.25)],
        Verdict = new Verdict(false, [new VerdictCheck("minSqnrDb", 35, 31.5, false), new VerdictCheck("minCosine", 0.999, 0.9991, true)]),
        Recipe = System.Text.Json.JsonDocument.Parse("{\"preset\":\"int8-static\"}").RootElement.Clone(),
    };
}
