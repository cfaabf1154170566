using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using Qaas.Api.Tests.Infrastructure;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Quantization.Metrics;
using Qaas.Runtime.Sessions;
using Xunit.Abstractions;
using Qaas.Runtime.Tensors;
using Qaas.Onnx.Proto;

namespace Qaas.Api.Tests.Acceptance;

/// <summary>
/// Issue 4's acceptance, tried as a user would: upload real models and calibration data through the HTTP API, run a
/// preset, download the artifacts and check them with ONNX Runtime.
/// </summary>
public sealed class QuantizationAcceptanceTests(QaasService service, ITestOutputHelper output) : IClassFixture<QaasService>
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Ocr_classifier_int8_static_agrees_with_fp32_on_rendered_text()
    {
        using var client = service.Client();
        var done = await ClassifierJobAsync(client, "\"preset\":\"int8-static\"", calibrationImages: 16, evaluationImages: 40);
        var metrics = done.GetProperty("metrics");
        Assert.True(metrics.GetProperty("top1Agreement").GetDouble() >= 0.99, metrics.ToString());
        Assert.True(metrics.GetProperty("compressionRatio").GetDouble() > 1.5, metrics.ToString());

        var quantized = await client.GetByteArrayAsync($"/v1/jobs/{done.Str("id")}/artifacts/model.onnx");
        var ops = OnnxModel.Load(new MemoryStream(quantized)).Proto.Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Contains("QuantizeLinear", ops);
        Assert.Contains("DequantizeLinear", ops);
        using var session = InferenceSession.Create(quantized);
        var scores = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TextImages.Classification(0, 9), 1, 3, 48, 192) });
        Assert.Equal([1L, 2L], scores.Values.Single().Shape.ToArray());

        var html = await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.html");
        Assert.Contains("<svg", html);
    }

    [Fact]
    public async Task Ocr_classifier_int8_static_in_qoperator_format_is_written_with_QLinearConv()
    {
        using var client = service.Client();
        var done = await ClassifierJobAsync(client, """ "recipe":{"preset":"int8-static","format":"qoperator"} """, calibrationImages: 8, evaluationImages: 16);
        var metrics = done.GetProperty("metrics");
        Assert.True(metrics.GetProperty("top1Agreement").GetDouble() >= 0.99, metrics.ToString());

        var quantized = await client.GetByteArrayAsync($"/v1/jobs/{done.Str("id")}/artifacts/model.onnx");
        var ops = OnnxModel.Load(new MemoryStream(quantized)).Proto.Graph.Node.Select(n => n.OpType).ToList();
        Assert.Equal(53, ops.Count(op => op == "QLinearConv"));
        Assert.DoesNotContain("Conv", ops);
        using var session = InferenceSession.Create(quantized);
        var scores = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TextImages.Classification(0, 9), 1, 3, 48, 192) });
        Assert.Equal([1L, 2L], scores.Values.Single().Shape.ToArray());
    }

    [Fact]
    public async Task Ocr_classifier_with_adaround_weights_agrees_with_fp32_and_the_report_says_what_it_rounded()
    {
        using var client = service.Client();
        var done = await ClassifierJobAsync(client, """ "recipe":{"preset":"int8-static","weights":{"algorithm":"adaround"}} """,
            calibrationImages: 8, evaluationImages: 16);
        var metrics = done.GetProperty("metrics");
        Assert.True(metrics.GetProperty("top1Agreement").GetDouble() >= 0.99, metrics.ToString());
        var report = await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json");
        // Its 53 Convs and the fully connected layer at the end, with less reconstruction loss than round-to-nearest's.
        var summary = System.Text.RegularExpressions.Regex.Match(report, @"adaround rounded 54 weight\(s\) adaptively; the input-weighted reconstruction loss of those rounded in this run is (\d+)%");
        Assert.True(summary.Success, report);
        Assert.InRange(int.Parse(summary.Groups[1].Value), 1, 90);
    }

    [Fact]
    public async Task Ocr_classifier_with_an_acceptance_limit_keeps_convs_fp32_and_its_model_loads()
    {
        // A limit no int8 model of it meets (plain int8 gives ~43 dB): the search keeps up to a quarter of the Convs in
        // fp32. The model is opset 10: ONNX Runtime's own quantization of such Convs (which FloatWeightGuard prevents)
        // added a Round node it cannot hold, and the job failed in its quantize stage.
        using var client = service.Client();
        var done = await ClassifierJobAsync(client, """ "recipe":{"preset":"int8-static","acceptance":{"minSqnrDb":60}} """,
            calibrationImages: 8, evaluationImages: 16);
        Assert.Equal("succeeded", done.Str("status"));
        var report = JsonDocument.Parse(await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json")).RootElement;
        var keptFp32 = report.GetProperty("nodes").EnumerateArray().Count(n => n.Str("type") == "fp32");
        Assert.True(keptFp32 is >= 1 and <= 14, $"{keptFp32} fp32; metrics {done.GetProperty("metrics")}; first node {report.GetProperty("nodes")[0]}");
        var quantized = await client.GetByteArrayAsync($"/v1/jobs/{done.Str("id")}/artifacts/model.onnx");
        using var session = InferenceSession.Create(quantized);
        var probabilities = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TextImages.Classification(0, 3), 1, 3, 48, 192) })
            .Values.First().AsSpan<float>().ToArray();
        Assert.Equal(1f, probabilities.Sum(), 3);
    }

    [Fact]
    public async Task Ocr_classifier_with_every_static_transform_still_agrees_with_fp32()
    {
        using var client = service.Client();
        var done = await ClassifierJobAsync(client, """
            "recipe":{"preset":"int8-static","transforms":["fold-batchnorm","cross-layer-equalization","smoothquant","bias-correction"]}
            """, calibrationImages: 8, evaluationImages: 16);
        var metrics = done.GetProperty("metrics");
        Assert.True(metrics.GetProperty("top1Agreement").GetDouble() >= 0.99, metrics.ToString());
        var report = await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json");
        Assert.Contains("cross-layer-equalization", report);
        Assert.Contains("bias-correction", report);
        // The classifier has no LayerNormalization: the report says smoothquant had nothing to do.
        Assert.Contains("smoothquant found no LayerNormalization", report);
    }

    [Theory]
    [InlineData(null, 0.94)]
    [InlineData(19.0, 0.97)]
    public async Task Ocr_detector_int8_static_maps_agree_with_fp32(double? minSqnrDb, double minIoU)
    {
        const int Size = 640;
        using var client = service.Client();
        var original = File.ReadAllBytes(RepositoryPaths.PpOcrDet);
        var model = await client.UploadModelAsync(original, "ppocr-det");
        var calibration = await UploadDatasetAsync(client, "det-calibration",
            Images(8, i => TextImages.Detection(i, Size, Size, 3)), [3, Size, Size]);
        var evaluation = await UploadDatasetAsync(client, "det-evaluation",
            Images(2, i => TextImages.Detection(i, Size, Size, 5)), [3, Size, Size]);

        // Plain int8-static, or with an acceptance limit: the sensitivity search then keeps Convs in fp32 until it holds.
        var recipe = minSqnrDb is { } limit
            ? """{"preset":"int8-static","acceptance":{"minSqnrDb":""" + limit.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}"
            : """{"preset":"int8-static"}""";
        var done = await RunJobAsync(client, $$"""
            {"modelId":"{{model.Str("id")}}","recipe":{{recipe}},"calibrationDatasetId":"{{calibration}}","evaluationDatasetId":"{{evaluation}}"}
            """);
        var quantized = await client.GetByteArrayAsync($"/v1/jobs/{done.Str("id")}/artifacts/model.onnx");

        using var fp32 = InferenceSession.Create(original);
        using var int8 = InferenceSession.Create(quantized);
        var iou = new IoUAccumulator(0.3f);
        for (var i = 0; i < 3; i++)
        {
            var input = new Dictionary<string, Tensor> { ["x"] = Tensor.Create(TextImages.Detection(i, Size, Size, 4), 1, 3, Size, Size) };
            iou.Add(fp32.Run(input).Values.Single().AsSpan<float>(), int8.Run(input).Values.Single().AsSpan<float>());
        }
        // Issue 4 asks for 0.97. Fully int8 (every op fused, MSE ranges) measures ~0.955 here; with minSqnrDb 18 the search
        // keeps a handful of stem Convs in fp32 (bench det-int8: 0.974-0.980 at 2.04-2.10x fp32 speed).
        output.WriteLine($"minSqnrDb {minSqnrDb}: IoU {iou.IoU:F4}; job metrics {done.GetProperty("metrics")}");
        Assert.True(iou.IoU >= minIoU, $"IoU of maps thresholded at 0.3: {iou.IoU:F4}");
        var floatConvs = OnnxModel.Load(new MemoryStream(quantized)).Proto.Graph.Node.Count(n => n.OpType == "Conv" && !n.Input[1].EndsWith("_dequantized", StringComparison.Ordinal));
        var hasSearch = JsonDocument.Parse(await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json")).RootElement
            .TryGetProperty("search", out var search) && search.ValueKind != JsonValueKind.Null;
        if (minSqnrDb is null)
        {
            Assert.Equal(0, floatConvs);
            Assert.False(hasSearch, "nothing was searched");
        }
        else
        {
            Assert.InRange(floatConvs, 1, 16);
            // The search section: the fully quantized model and one candidate per extra fp32 Conv, the chosen one on the front.
            Assert.True(search.GetProperty("candidatesTried").GetInt32() >= 2, search.ToString());
            Assert.True(search.GetProperty("chosen").GetProperty("minSqnrDb").GetDouble() >= minSqnrDb, search.ToString());
            static (double, double) Point(JsonElement p) => (p.GetProperty("sizeRatio").GetDouble(), p.GetProperty("minSqnrDb").GetDouble());
            Assert.Contains(Point(search.GetProperty("chosen")), search.GetProperty("paretoFront").EnumerateArray().Select(Point));
        }
    }

    [Fact]
    public async Task Transformer_w4_rtn_becomes_MatMulNBits_at_a_fraction_of_the_size()
    {
        var options = TransformerOptions.Full;
        Assert.True(options.ParameterCount >= 50_000_000, $"{options.ParameterCount} parameters");
        var original = TransformerModelBuilder.Build(options);
        var originalBytes = original.ToByteArray();
        using var client = service.Client();
        var model = await client.UploadModelAsync(originalBytes, "transformer");

        var done = await RunJobAsync(client, $$$"""
            {"modelId":"{{{model.Str("id")}}}","preset":"w4-rtn","inputShapes":{"{{{TransformerModelBuilder.InputName}}}":[1,1]}}
            """);
        var metrics = done.GetProperty("metrics");
        Assert.True(metrics.GetProperty("minCosine").GetDouble() >= 0.99, metrics.ToString());

        var quantizedBytes = await client.GetByteArrayAsync($"/v1/jobs/{done.Str("id")}/artifacts/model.onnx");
        Assert.True(quantizedBytes.Length <= 0.3 * originalBytes.Length, $"{quantizedBytes.Length} of {originalBytes.Length} bytes");
        var quantized = OnnxModel.Load(new MemoryStream(quantizedBytes)).Proto;
        // The preset's int8 path for prompts (prefill "auto"): If(one row) then MatMulNBits, else int8 weights derived at load.
        var branch = Assert.Single(quantized.Graph.Node, n => n.OpType == "If");
        var oneRow = OneRowNodes(quantized);
        Assert.Contains(branch.Attribute.Single(a => a.Name == "else_branch").G.Node, n => n.OpType == "DynamicQuantizeMatMul");
        Assert.Contains("prefill int8:", await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json"));
        var packed = oneRow.Where(n => n.OpType == "MatMulNBits").ToList();
        Assert.NotEmpty(packed);
        Assert.DoesNotContain(oneRow, n => n.OpType == "MatMul" && quantized.Graph.Initializer.Any(t => t.Name == n.Input[1]));

        // The MatMul weights' storage (packed B, scales, zero points) against their fp32 bytes.
        var inits = quantized.Graph.Initializer.ToDictionary(t => t.Name);
        long packedBytes = packed.SelectMany(n => n.Input.Skip(1).Take(3)).Where(inits.ContainsKey).Sum(name => (long)inits[name].RawData.Length);
        var originalInits = original.Graph.Initializer.ToDictionary(t => t.Name);
        long fp32Bytes = original.Graph.Node.Where(n => n.OpType == "MatMul" && originalInits.ContainsKey(n.Input[1]))
            .Sum(n => TensorLayout.ElementCount(originalInits[n.Input[1]])!.Value * 4);
        Assert.True(packedBytes <= 0.16 * fp32Bytes, $"packed {packedBytes} of {fp32Bytes} fp32 bytes ({(double)packedBytes / fp32Bytes:F4})");

        using var session = InferenceSession.Create(quantizedBytes);
        var logits = session.Run(new Dictionary<string, Tensor>
        {
            [TransformerModelBuilder.InputName] = Tensor.Create(TransformerModelBuilder.TokenIds(1, 1, options.Vocab), 1, 1),
        });
        Assert.Equal(options.Vocab, logits.Values.Single().Shape[^1]);
    }

    [Theory]
    [InlineData("gptq")]
    [InlineData("awq")]
    public async Task Transformer_w4_with_a_calibrated_algorithm_runs_on_synthesized_calibration_and_says_so(string algorithm)
    {
        var original = TransformerModelBuilder.Build(TransformerOptions.Small);
        using var client = service.Client();
        var model = await client.UploadModelAsync(original.ToByteArray(), $"transformer-small-{algorithm}");

        var done = await RunJobAsync(client, $$$"""
            {"modelId":"{{{model.Str("id")}}}","recipe":{"preset":"w4-rtn","weights":{"algorithm":"{{{algorithm}}}"}},
             "inputShapes":{"{{{TransformerModelBuilder.InputName}}}":[1,16]}}
            """);
        Assert.True(done.GetProperty("metrics").GetProperty("minCosine").GetDouble() >= 0.97, done.GetProperty("metrics").ToString());
        var report = await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json");
        Assert.Contains("synthetic", report);
        Assert.Contains(algorithm, report);
        var quantized = OnnxModel.Load(new MemoryStream(await client.GetByteArrayAsync($"/v1/jobs/{done.Str("id")}/artifacts/model.onnx"))).Proto;
        Assert.Contains(OneRowNodes(quantized), n => n.OpType == "MatMulNBits");
    }

    [Fact]
    public async Task Transformer_mixed_precision_under_a_latency_budget_reports_its_prediction()
    {
        var original = TransformerModelBuilder.Build(TransformerOptions.Small);
        using var client = service.Client();
        var model = await client.UploadModelAsync(original.ToByteArray(), "transformer-small-latency");

        // A loose budget: every weight fits at 8 bits whatever the timings, so the outcome is fixed.
        const string recipe = """{"preset":"mixed-size","mixedPrecision":{"objective":"latency","budget":{"latencyRatio":10}}}""";
        var done = await RunJobAsync(client, $$$"""
            {"modelId":"{{{model.Str("id")}}}","recipe":{{{recipe}}},"inputShapes":{"{{{TransformerModelBuilder.InputName}}}":[1,1]}}
            """);
        var report = await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json");
        Assert.Contains("Mixed precision (latency): 0 at 4 bits,", report);
        Assert.Contains("ms per run against a budget of", report);
        var quantized = OnnxModel.Load(new MemoryStream(await client.GetByteArrayAsync($"/v1/jobs/{done.Str("id")}/artifacts/model.onnx"))).Proto;
        var packed = OneRowNodes(quantized).Where(n => n.OpType == "MatMulNBits").ToList();
        Assert.NotEmpty(packed);
        Assert.All(packed, n => Assert.Equal(8, n.Attribute.Single(a => a.Name == "bits").I));
    }

    [Fact]
    public async Task Transformer_w4_with_an_int8_prefill_path_keeps_4bit_weights_and_says_so()
    {
        var original = TransformerModelBuilder.Build(TransformerOptions.Small);
        using var client = service.Client();
        var model = await client.UploadModelAsync(original.ToByteArray(), "transformer-small-prefill");

        var done = await RunJobAsync(client, $$$"""
            {"modelId":"{{{model.Str("id")}}}","recipe":{"preset":"w4-rtn","prefill":"int8"},
             "inputShapes":{"{{{TransformerModelBuilder.InputName}}}":[1,16]}}
            """);
        Assert.True(done.GetProperty("metrics").GetProperty("minCosine").GetDouble() >= 0.99, done.GetProperty("metrics").ToString());
        var report = await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json");
        Assert.Contains("prefill int8:", report);
        var quantized = OnnxModel.Load(new MemoryStream(await client.GetByteArrayAsync($"/v1/jobs/{done.Str("id")}/artifacts/model.onnx"))).Proto;
        var branch = Assert.Single(quantized.Graph.Node, n => n.OpType == "If");
        Assert.Contains(branch.Attribute.Single(a => a.Name == "else_branch").G.Node, n => n.OpType == "DynamicQuantizeMatMul");
        Assert.Contains(branch.Attribute.Single(a => a.Name == "then_branch").G.Node, n => n.OpType == "MatMulNBits");
    }

    [Fact]
    public async Task Transformer_mixed_precision_job_splits_int4_and_int8_within_the_budget_and_reports_it()
    {
        var original = TransformerModelBuilder.Build(TransformerOptions.Small);
        using var client = service.Client();
        var model = await client.UploadModelAsync(original.ToByteArray(), "transformer-small-mixed");

        const string recipe = """{"preset":"mixed-size","mixedPrecision":{"budget":{"sizeRatio":0.3}}}""";
        var done = await RunJobAsync(client, $$$"""
            {"modelId":"{{{model.Str("id")}}}","recipe":{{{recipe}}},"inputShapes":{"{{{TransformerModelBuilder.InputName}}}":[1,16]}}
            """);
        var report = await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json");
        Assert.Contains("Mixed precision:", report);
        Assert.Contains("\"sensitivity\"", report);
        // The search section: the knapsack's predicted trade-off, the chosen point within the budget.
        var search = JsonDocument.Parse(report).RootElement.GetProperty("search");
        Assert.True(search.GetProperty("predicted").GetBoolean());
        Assert.True(search.GetProperty("paretoFront").GetArrayLength() >= 2, search.ToString());
        Assert.True(search.GetProperty("chosen").GetProperty("sizeRatio").GetDouble() <= 0.3, search.ToString());
        var quantized = OnnxModel.Load(new MemoryStream(await client.GetByteArrayAsync($"/v1/jobs/{done.Str("id")}/artifacts/model.onnx"))).Proto;
        var bits = OneRowNodes(quantized).Where(n => n.OpType == "MatMulNBits").Select(n => n.Attribute.Single(a => a.Name == "bits").I).ToHashSet();
        Assert.Equal([4L, 8L], bits.Order());
    }

    /// <summary>The nodes a one-row input runs: the main graph's, or the then-branch of the int8 prefill path's If.</summary>
    private static IReadOnlyList<NodeProto> OneRowNodes(ModelProto model) =>
        model.Graph.Node.SingleOrDefault(n => n.OpType == "If") is { } branch
            ? branch.Attribute.Single(a => a.Name == "then_branch").G.Node
            : model.Graph.Node;

    /// <summary>
    /// The direction classifier uploaded with rendered-text calibration and evaluation sets, quantized by a job whose
    /// request also holds <paramref name="quantization"/> (a "preset" or "recipe" member); returns the finished job.
    /// </summary>
    private async Task<JsonElement> ClassifierJobAsync(HttpClient client, string quantization, int calibrationImages, int evaluationImages)
    {
        var model = await client.UploadModelAsync(File.ReadAllBytes(RepositoryPaths.PpOcrCls), "ppocr-cls");
        var calibration = await UploadDatasetAsync(client, "cls-calibration", Images(calibrationImages, i => TextImages.Classification(i, 1)), [3, 48, 192]);
        var evaluation = await UploadDatasetAsync(client, "cls-evaluation", Images(evaluationImages, i => TextImages.Classification(i, 2)), [3, 48, 192]);
        return await RunJobAsync(client, $$"""
            {"modelId":"{{model.Str("id")}}",{{quantization.Trim()}},"calibrationDatasetId":"{{calibration}}","evaluationDatasetId":"{{evaluation}}"}
            """);
    }

    /// <summary>Preset and model pairs that cannot work, and the words the refusal must contain.</summary>
    static readonly Dictionary<(string Preset, string Model), string> KnownRefusals = new()
    {
        // fp8 Q/DQ needs opset 19; raising this opset-9 export would change Clip/Slice/Softmax semantics.
        [("fp8-e4m3", "ppocr-cls")] = "opset 19",
    };

    [Fact]
    public async Task Every_listed_preset_completes_on_the_three_models()
    {
        using var client = service.Client();
        var presets = (await client.GetFromJsonAsync<JsonElement>("/v1/presets")).EnumerateArray().Select(p => p.Str("name")).ToList();
        Assert.NotEmpty(presets);
        var models = new (string Name, byte[] Bytes, string InputShapes)[]
        {
            ("ppocr-cls", File.ReadAllBytes(RepositoryPaths.PpOcrCls), """{"x":[1,3,48,192]}"""),
            ("ppocr-det", File.ReadAllBytes(RepositoryPaths.PpOcrDet), """{"x":[1,3,320,320]}"""),
            ("transformer-small", TransformerModelBuilder.Build(TransformerOptions.Small).ToByteArray(), $$"""{"{{TransformerModelBuilder.InputName}}":[1,8]}"""),
        };
        var failures = new List<string>();
        foreach (var (name, bytes, shapes) in models)
        {
            var model = await client.UploadModelAsync(bytes, name);
            foreach (var preset in presets)
            {
                var job = await (await client.PostJsonAsync("/v1/jobs",
                    $$"""{"modelId":"{{model.Str("id")}}","preset":"{{preset}}","inputShapes":{{shapes}}}"""))
                    .ExpectJsonAsync(HttpStatusCode.Accepted);
                var done = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed" or "cancelled", JobTimeout);
                var refusal = KnownRefusals.GetValueOrDefault((preset, name));
                if (refusal is null && done.Str("status") != "succeeded")
                    failures.Add($"{preset} on {name}: {done.GetProperty("error")}");
                if (done.Str("status") == "succeeded")
                {
                    // Each fact once: the stage and the quantizer must not both warn about synthetic calibration data
                    // or a simulated format.
                    var warnings = JsonDocument.Parse(await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json"))
                        .RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
                    if (warnings.Count(w => w.Contains("calibration", StringComparison.OrdinalIgnoreCase) && w.Contains("synthe", StringComparison.OrdinalIgnoreCase)) > 1
                        || warnings.Count(w => w.Contains("simulated", StringComparison.OrdinalIgnoreCase)) > 1)
                        failures.Add($"{preset} on {name} repeats a warning: {string.Join(" | ", warnings)}");
                }
                if (refusal is not null && !(done.Str("status") == "failed"
                    && done.GetProperty("error").GetProperty("status").GetInt32() == 422
                    && done.GetProperty("error").Str("detail").Contains(refusal, StringComparison.Ordinal)))
                    failures.Add($"{preset} on {name} should be refused with a 422 naming '{refusal}': {done}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    async Task<JsonElement> RunJobAsync(HttpClient client, string body)
    {
        var job = await (await client.PostJsonAsync("/v1/jobs", body)).ExpectJsonAsync(HttpStatusCode.Accepted);
        var done = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed" or "cancelled", JobTimeout);
        Assert.True(done.Str("status") == "succeeded", done.ToString());
        return done;
    }

    static (float[] Data, int Count) Images(int count, Func<int, float[]> render)
    {
        var first = render(0);
        var data = new float[count * first.Length];
        first.CopyTo(data, 0);
        for (var i = 1; i < count; i++) render(i).CopyTo(data, i * first.Length);
        return (data, count);
    }

    static async Task<string> UploadDatasetAsync(HttpClient client, string name, (float[] Data, int Count) images, long[] sampleShape)
    {
        var npz = NpzWriter.Write(("x", images.Data, [images.Count, .. sampleShape]));
        using var content = new ByteArrayContent(npz);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var ds = await (await client.PostAsync($"/v1/datasets?name={name}", content)).ExpectJsonAsync(HttpStatusCode.Created);
        return ds.Str("id");
    }
}
