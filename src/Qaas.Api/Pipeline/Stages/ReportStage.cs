using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Qaas.Onnx.Summary;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Reports;
using Qaas.Quantization.Reports.Html;
using Qaas.Runtime;

namespace Qaas.Api.Pipeline.Stages;

/// <summary>Assembles report.json and report.html from what the earlier stages measured, and the job's metrics summary.</summary>
public sealed class ReportStage : IJobStage
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        // A weight of ±inf or an exploding output makes an infinite error: written as "Infinity", not a failed job.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    // "0.12.0+<commit>": the SDK stamps the git commit the build came from (version in Directory.Build.props).
    private static readonly string ToolVersion = typeof(ReportStage).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    public string Name => "report";

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var original = context.Original ?? throw new InvalidOperationException("The analyze stage did not run.");
        var originalStats = new ModelStats(context.Model.SizeBytes + context.Model.Files.Where(f => f.BlobSha256 != context.Model.BlobSha256).Sum(f => f.SizeBytes),
            original.ParameterCount, original.OpCounts);
        ModelStats? quantizedStats = null;
        if (context.Quantized is { } q && context.QuantizedPath is { } path)
        {
            var summary = ModelSummary.Of(q.Model);
            var bytes = new FileInfo(path).Length + (File.Exists(path + ".data") ? new FileInfo(path + ".data").Length : 0);
            quantizedStats = new ModelStats(bytes, summary.ParameterCount, summary.OpCounts);
        }

        if (quantizedStats is { } q2 && q2.SizeBytes > originalStats.SizeBytes)
            context.Warnings.Add($"The quantized model is larger than the original ({q2.SizeBytes:N0} against {originalStats.SizeBytes:N0} bytes): " +
                "its weights are too few or too small for the format's scales, blocks and added nodes to pay off.");
        var report = new QuantizationReport
        {
            Original = originalStats,
            Quantized = quantizedStats,
            CompressionRatio = quantizedStats is null ? null : Math.Round((double)originalStats.SizeBytes / quantizedStats.SizeBytes, 4),
            Outputs = context.Fidelity,
            Latency = context.Latency,
            Nodes = [.. context.Quantized?.Nodes ?? []],
            Search = context.Quantized?.Search,
            Provenance = new Provenance(
                context.Model.BlobSha256,
                Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(context.Job.Recipe))),
                context.Calibration?.Sha256, context.Evaluation?.Sha256,
                ToolVersion,
                OrtEnvironment.Instance.Version),
            Warnings = [.. context.Warnings.Distinct()],
            Stages = [.. context.StageTimings],
            // What ran: the submitted recipe with the pool's execution provider filled in.
            Recipe = JsonDocument.Parse(RecipeJson.Serialize(context.Recipe)).RootElement.Clone(),
        };
        var metrics = JobMetrics.From(report);
        report = report with { Verdict = VerdictJudge.Judge(context.Recipe.Acceptance, metrics) };
        metrics = metrics with { Passed = report.Verdict?.Passed };

        var jsonPath = Path.Combine(context.WorkDirectory, "report.json");
        await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(report, Json), ct);
        var htmlPath = Path.Combine(context.WorkDirectory, "report.html");
        await File.WriteAllTextAsync(htmlPath, ReportHtmlRenderer.Render(report), ct);
        context.Artifacts["report.json"] = (jsonPath, "application/json");
        context.Artifacts["report.html"] = (htmlPath, "text/html; charset=utf-8");

        foreach (var p in JsonSerializer.SerializeToElement(metrics, Json).EnumerateObject())
            context.Metrics[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.Number => p.Value.GetDouble(),
                JsonValueKind.True or JsonValueKind.False => p.Value.GetBoolean(),
                _ => null,
            };
        await context.Reporter.ProgressAsync(1, ct);
    }
}
