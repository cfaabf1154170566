using System.Diagnostics;
using Google.Protobuf;
using Qaas.Bench.Measurement;
using Qaas.Bench.Models;
using Qaas.Bench.Reporting;
using Qaas.Onnx.Io;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.QOperator;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Search;
using Qaas.Quantization.Static;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Bench.Benchmarks;

/// <summary>
/// PP-OCRv4 det at 640x640, fp32 against the int8-static preset (QDQ, calibrated on rendered text), plain and with an
/// acceptance limit (minSqnrDb 18, which keeps the most sensitive Convs in fp32): detection-map agreement (IoU of maps
/// thresholded at 0.3) on other rendered text images, and latency at 1 and 2 intra-op threads.
/// Both sessions of a thread count run alternately with spinning off; the speedup is the median of per-pair ratios.
/// </summary>
public sealed class DetInt8Benchmark : IBenchmark
{
    private const int Size = 640, CalibrationImages = 8, EvaluationImages = 8, WarmUp = 2, Pairs = 12;
    private const int CalibrationSeed = 1, EvaluationSeed = 2, LatencySeed = 3;
    private const int Slices = 8;
    private const double AcceptanceSqnrDb = 18;

    public string Name => "det-int8";

    public Task<BenchReport> RunAsync()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrDet);
        var recipe = RecipeResolver.Resolve(new Recipe { Preset = "int8-static" });
        var clock = Stopwatch.StartNew();
        var result = StaticQdqQuantizer.Quantize(model, recipe, OcrSamples.Detector(CalibrationImages, Size, CalibrationSeed));
        var quantizeSeconds = clock.Elapsed.TotalSeconds;
        var fp32Bytes = model.Proto.ToByteArray();
        var int8Bytes = result.Model.ToByteArray();

        double iou = DetectionIoU(fp32Bytes, int8Bytes);
        var input = OcrSamples.Detector(1, Size, LatencySeed).Samples().First();
        var one = Paired(fp32Bytes, int8Bytes, input, threads: 1);
        var two = Paired(fp32Bytes, int8Bytes, input, threads: 2);
        // The same quantization written in QOperator form (format "qoperator"): same integer math, other kernels.
        var qopBytes = QdqToQOperator.Apply(result).Model.ToByteArray();
        var qop = Paired(fp32Bytes, qopBytes, input, threads: 1);

        // The same preset with an acceptance limit: the sensitivity search keeps the Convs that cost most in fp32.
        clock.Restart();
        var accepted = SensitivityFallback.Search(model, recipe with { Acceptance = new AcceptanceSpec { MinSqnrDb = AcceptanceSqnrDb } },
            SampleFeed.FromList(OcrSamples.Detector(CalibrationImages, Size, CalibrationSeed).Samples().ToList()));
        var searchSeconds = clock.Elapsed.TotalSeconds;
        var acceptedBytes = accepted.Model.Model.ToByteArray();
        double acceptedIoU = DetectionIoU(fp32Bytes, acceptedBytes);
        var acceptedSpeed = Paired(fp32Bytes, acceptedBytes, input, threads: 1);

        var report = new BenchReport(Name, $"PP-OCRv4 det, x[1,3,{Size},{Size}], fp32 vs preset int8-static (QDQ)")
            .Figure("quantization", $"{quantizeSeconds:F1} s ({CalibrationImages} rendered text images, {result.Nodes.Count} weighted nodes)")
            .Figure($"IoU@0.3 vs fp32 ({EvaluationImages} other images), every Conv int8", $"{iou:F4}")
            .Figure($"1 thread p50 (of {Pairs})", $"fp32 {one.Fp32:F1} ms, int8 {one.Int8:F1} ms")
            .Target("1 thread speedup (median of pair ratios)", $"{one.Ratio:F2}x", ">= 2x", one.Ratio >= 2)
            .Figure($"2 threads p50 (of {Pairs})", $"fp32 {two.Fp32:F1} ms, int8 {two.Int8:F1} ms")
            .Target("2 threads speedup (median of pair ratios)", $"{two.Ratio:F2}x", "> 1x", two.Ratio > 1)
            .Figure("format qoperator, 1 thread", $"fp32 {qop.Fp32:F1} ms, QLinear* {qop.Int8:F1} ms, speedup {qop.Ratio:F2}x")
            .Figure($"with acceptance minSqnrDb {AcceptanceSqnrDb}", $"search {searchSeconds:F0} s, SQNR {accepted.SqnrBeforeDb:F1} -> " +
                $"{accepted.SqnrAfterDb:F1} dB, fp32: {string.Join(", ", accepted.KeptFloat)}")
            .Target("  IoU@0.3 vs fp32", $"{acceptedIoU:F4}", ">= 0.97", acceptedIoU >= 0.97)
            .Target("  1 thread speedup", $"{acceptedSpeed.Ratio:F2}x", ">= 2x", acceptedSpeed.Ratio >= 2)
            .Note("intra-op threads as stated, inter-op 1, allow_spinning off, runs alternate fp32/int8; model sizes " +
                $"{Units.Bytes(fp32Bytes.Length)} fp32, {Units.Bytes(int8Bytes.Length)} int8");
        // QAAS_DET_STUDY="4,16,32,8+bc,8+minmax,8+cle,16+slices,16+bc+float23,dynamic": IoU for other calibration-set
        // sizes, with the bias-correction (bc) or cross-layer-equalization (cle) transform, AdaRound weights (ada), min-max,
        // entropy or percentile ranges (pct{p}, e.g. pct99.999); "weights" adds the IoU with the weights alone; "slices" adds that and the IoU with each eighth of the activation pairs alone; "single{n}" the IoU with each
        // of the first n pairs alone; "worst{n}" takes out the n stem pairs that cost most alone;
        // "flips" tells where the quantized map disagrees (by fp32 probability) and the IoU at other quantized thresholds; "float{n}" takes the first n
        // activation pairs out (IoU and 1-thread speed); "dynamic" is int8-dynamic with its Convs too (ConvInteger), with
        // its 1-thread speed; "sqnr{dB}" runs the acceptance-driven fp32 fallback with minSqnrDb = dB (IoU, speed, kept Convs).
        foreach (var spec in (Environment.GetEnvironmentVariable("QAAS_DET_STUDY") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
            Study(report, spec.Trim(), model, recipe, fp32Bytes, input);
        return Task.FromResult(report);
    }

    private static void Study(BenchReport report, string spec, OnnxModel model, Recipe recipe, byte[] fp32Bytes,
        IReadOnlyDictionary<string, Tensor> input)
    {
        if (spec == "dynamic")
        {
            var dynamicRecipe = RecipeResolver.Resolve(new Recipe
            {
                Preset = "int8-dynamic", Nodes = new NodeSelection { Include = new NodeFilter { OpTypes = ["Conv", "MatMul", "Gemm"] } },
            });
            var dynamicBytes = Qaas.Quantization.Dynamic.DynamicQuantizer.Quantize(model, dynamicRecipe).Model.ToByteArray();
            var timing = Paired(fp32Bytes, dynamicBytes, input, threads: 1);
            report.Figure("  study dynamic (ConvInteger)", $"IoU@0.3 {DetectionIoU(fp32Bytes, dynamicBytes):F4}; 1 thread fp32 {timing.Fp32:F1} ms, " +
                $"dynamic {timing.Int8:F1} ms, speedup {timing.Ratio:F2}x");
            return;
        }
        var parts = spec.Split('+');
        var images = int.Parse(parts[0]);
        var studied = recipe;
        if (parts.Contains("bc")) studied = studied with { Transforms = ["fold-batchnorm", "bias-correction"] };
        if (parts.Contains("cle")) studied = studied with { Transforms = ["fold-batchnorm", "cross-layer-equalization"] };
        if (parts.Contains("minmax")) studied = studied with { Activations = studied.Activations! with { Calibration = "minmax" } };
        if (parts.Contains("entropy")) studied = studied with { Activations = studied.Activations! with { Calibration = "entropy" } };
        if (parts.FirstOrDefault(p => p.StartsWith("pct")) is { } pct)
            studied = studied with { Activations = studied.Activations! with { Calibration = "percentile", Percentile = double.Parse(pct[3..], System.Globalization.CultureInfo.InvariantCulture) } };
        if (parts.Contains("ada")) studied = studied with { Weights = studied.Weights! with { Algorithm = "adaround" } };
        if (parts.FirstOrDefault(p => p.StartsWith("sqnr")) is { } sqnrSpec)
        {
            // What a user gets from int8-static with an acceptance limit: the sensitivity search keeps Convs in fp32.
            var limit = double.Parse(sqnrSpec[4..], System.Globalization.CultureInfo.InvariantCulture);
            var calibration = SampleFeed.FromList(OcrSamples.Detector(images, Size, CalibrationSeed).Samples().ToList());
            var clock = Stopwatch.StartNew();
            var search = SensitivityFallback.Search(model, studied with { Acceptance = new AcceptanceSpec { MinSqnrDb = limit } }, calibration);
            var seconds = clock.Elapsed.TotalSeconds;
            var searched = search.Model.Model.ToByteArray();
            var timing = Paired(fp32Bytes, searched, input, threads: 1);
            report.Figure($"  study {spec}: IoU@0.3", $"{DetectionIoU(fp32Bytes, searched):F4}, 1 thread speedup {timing.Ratio:F2}x; " +
                $"search {seconds:F0} s, SQNR {search.SqnrBeforeDb:F1} -> {search.SqnrAfterDb:F1} dB, fp32: {string.Join(", ", search.KeptFloat)}");
            return;
        }
        var q = StaticQdqQuantizer.Quantize(model, studied, OcrSamples.Detector(images, Size, CalibrationSeed));
        report.Figure($"  study {spec}: IoU@0.3", $"{DetectionIoU(fp32Bytes, q.Model.ToByteArray()):F4} ({images} calibration images, " +
            $"{studied.Activations!.Calibration} ranges, transforms {string.Join("+", studied.Transforms ?? [])})");
        var activations = ActivationPairs.Tensors(q.Model);
        if (parts.Contains("weights") && !parts.Contains("slices"))
            report.Figure("    weights only (no activation pair)", $"IoU@0.3 {DetectionIoU(fp32Bytes, ActivationPairs.Without(q.Model, _ => true).ToByteArray()):F4}");
        if (parts.Contains("slices"))
        {
            // Where the activation error is: weights alone, then each eighth of the activation pairs (graph order) alone.
            report.Figure("    weights only (no activation pair)", $"IoU@0.3 {DetectionIoU(fp32Bytes, ActivationPairs.Without(q.Model, _ => true).ToByteArray()):F4}");
            for (int slice = 0; slice < Slices; slice++)
            {
                int first = activations.Count * slice / Slices, end = activations.Count * (slice + 1) / Slices;
                var kept = activations.Skip(first).Take(end - first).ToHashSet();
                var only = ActivationPairs.Without(q.Model, t => !kept.Contains(t)).ToByteArray();
                report.Figure($"    only pairs {first}..{end - 1} ({activations[first]} .. {activations[end - 1]})", $"IoU@0.3 {DetectionIoU(fp32Bytes, only):F4}");
            }
        }
        if (parts.FirstOrDefault(p => p.StartsWith("single")) is { } singleSpec)
        {
            // Each of the first n activation pairs alone (with the int8 weights): which tensors carry the loss.
            var line = activations.Take(int.Parse(singleSpec[6..])).Select(t =>
                $"{t.Replace("_float", "")} {DetectionIoU(fp32Bytes, ActivationPairs.Without(q.Model, other => other != t).ToByteArray()):F3}");
            report.Figure("    each pair alone", string.Join(", ", line));
        }
        if (parts.Contains("flips"))
            report.Figure("    flipped pixels", Flips(fp32Bytes, q.Model.ToByteArray()));
        if (parts.FirstOrDefault(p => p.StartsWith("worst")) is { } worstSpec)
        {
            // The n stem pairs (of the first 23) that cost most alone taken out: the cheapest fp32 islands.
            var worst = activations.Take(23)
                .OrderBy(t => DetectionIoU(fp32Bytes, ActivationPairs.Without(q.Model, other => other != t).ToByteArray()))
                .Take(int.Parse(worstSpec[5..])).ToHashSet();
            var bytes = ActivationPairs.Without(q.Model, worst.Contains).ToByteArray();
            var timing = Paired(fp32Bytes, bytes, input, threads: 1);
            report.Figure($"    {worst.Count} worst stem pairs float ({string.Join(", ", worst.Select(t => t.Replace("_float", "")))})",
                $"IoU@0.3 {DetectionIoU(fp32Bytes, bytes):F4}, 1 thread speedup {timing.Ratio:F2}x");
        }
        if (parts.FirstOrDefault(p => p.StartsWith("float")) is { } floatSpec)
        {
            // The first n activation pairs taken out: the stem's convolutions run in fp32.
            var stem = activations.Take(int.Parse(floatSpec[5..])).ToHashSet();
            var bytes = ActivationPairs.Without(q.Model, stem.Contains).ToByteArray();
            var timing = Paired(fp32Bytes, bytes, input, threads: 1);
            report.Figure($"    first {stem.Count} activation pairs float", $"IoU@0.3 {DetectionIoU(fp32Bytes, bytes):F4}, 1 thread speedup {timing.Ratio:F2}x");
        }
    }

    // Pixels on different sides of 0.3, by the fp32 probability's tenth, and the IoU if the quantized map were
    // thresholded elsewhere: boundary flicker would sit at 0.2-0.4 and move with the threshold.
    private static string Flips(byte[] fp32Bytes, byte[] int8Bytes)
    {
        var options = new InferenceSessionOptions { IntraOpThreads = 2, AllowSpinning = false };
        using var fp32 = InferenceSession.Create(fp32Bytes, options);
        using var int8 = InferenceSession.Create(int8Bytes, options);
        var byTenth = new int[10];
        float[] thresholds = [0.24f, 0.3f, 0.36f];
        var ious = thresholds.Select(_ => new IoUAccumulator(0.3f)).ToArray();
        foreach (var sample in OcrSamples.Detector(EvaluationImages, Size, EvaluationSeed).Samples())
        {
            var reference = fp32.Run(sample).Values.Single().AsSpan<float>().ToArray();
            var quantized = int8.Run(sample).Values.Single().AsSpan<float>().ToArray();
            for (int i = 0; i < reference.Length; i++)
                if (reference[i] > 0.3f != quantized[i] > 0.3f)
                    byTenth[Math.Clamp((int)(reference[i] * 10), 0, 9)]++;
            for (int t = 0; t < thresholds.Length; t++)
            {
                // Shifting the quantized map by (0.3 - threshold) thresholds it at the given value.
                var shifted = quantized.Select(v => v + 0.3f - thresholds[t]).ToArray();
                ious[t].Add(reference, shifted);
            }
        }
        return $"{byTenth.Sum()} in all; by fp32 probability tenth {string.Join(" ", byTenth)}; IoU with the quantized map at " +
            string.Join(", ", thresholds.Select((t, i) => $"{t:F2}: {ious[i].IoU:F4}"));
    }

    private static double DetectionIoU(byte[] fp32Bytes, byte[] int8Bytes)
    {
        var options = new InferenceSessionOptions { IntraOpThreads = 2, AllowSpinning = false };
        using var fp32 = InferenceSession.Create(fp32Bytes, options);
        using var int8 = InferenceSession.Create(int8Bytes, options);
        var iou = new IoUAccumulator(0.3f);
        foreach (var sample in OcrSamples.Detector(EvaluationImages, Size, EvaluationSeed).Samples())
            iou.Add(fp32.Run(sample).Values.Single().AsSpan<float>(), int8.Run(sample).Values.Single().AsSpan<float>());
        return iou.IoU;
    }

    private static (double Fp32, double Int8, double Ratio) Paired(byte[] fp32Bytes, byte[] int8Bytes,
        IReadOnlyDictionary<string, Tensor> input, int threads)
    {
        var options = new InferenceSessionOptions { IntraOpThreads = threads, InterOpThreads = 1, AllowSpinning = false };
        using var fp32 = InferenceSession.Create(fp32Bytes, options);
        using var int8 = InferenceSession.Create(int8Bytes, options);
        return AlternatingRuns.Measure(() => fp32.Run(input), () => int8.Run(input), WarmUp, Pairs);
    }
}
