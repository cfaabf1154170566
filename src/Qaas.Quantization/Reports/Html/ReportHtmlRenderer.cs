using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using static Qaas.Quantization.Reports.Html.HtmlTable;

namespace Qaas.Quantization.Reports.Html;

/// <summary>
/// Renders report.json as a self-contained report.html: inline CSS and SVG, no script, nothing fetched. Sections
/// (element ids): summary, outputs, latency, nodes, search, warnings, provenance, stages; a section whose data is
/// absent says so or is left out. Everything taken from the report is HTML-escaped (model names may contain '&lt;').
/// </summary>
public static class ReportHtmlRenderer
{
    private const string OriginalColor = "#4e79a7", QuantizedColor = "#f28e2b", NodeColor = "#59a14f", ErrorColor = "#e15759";

    /// <summary>report.json as the API writes it (camelCase; PascalCase is accepted too).</summary>
    public static string Render(string reportJson)
    {
        using var doc = JsonDocument.Parse(reportJson, new JsonDocumentOptions { AllowTrailingCommas = true });
        return Render(doc.RootElement);
    }

    public static string Render(QuantizationReport report) => Render(JsonSerializer.Serialize(report, Json));

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Render(JsonElement report)
    {
        JsonElement? r = report;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        html.Append("<title>Quantization report</title><style>").Append(ReportStyles.Css).Append("</style></head><body>");
        html.Append("<h1>Quantization report</h1>");
        Summary(html, r);
        Outputs(html, r);
        Latency(html, r);
        Nodes(html, r);
        Search(html, r);
        Warnings(html, r);
        Provenance(html, r);
        Stages(html, r);
        return html.Append("</body></html>").ToString();
    }

    private static string E(string? s) => WebUtility.HtmlEncode(s ?? ReportFormat.Missing);

    private static void Section(StringBuilder html, string id, string title) =>
        html.Append("<section id=\"").Append(id).Append("\"><h2>").Append(E(title)).Append("</h2>");

    private static void Summary(StringBuilder html, JsonElement? r)
    {
        Section(html, "summary", "Summary");
        var outputs = r.Get("outputs").Properties().Select(p => (JsonElement?)p.Value).ToList();
        double? Min(string metric) => outputs.Select(o => o.Number(metric)).Where(v => v is not null).DefaultIfEmpty(null).Min();
        var verdict = r.Get("verdict");
        var table = new HtmlTable("metric", "value")
            .Row("original size", Cell.Num(ReportFormat.Bytes(r.Get("original").Number("sizeBytes"))))
            .Row("quantized size", Cell.Num(ReportFormat.Bytes(r.Get("quantized").Number("sizeBytes"))))
            .Row("compression ratio", Cell.Num(Ratio(r.Number("compressionRatio"))))
            .Row("speedup (fp32 p50 / quantized p50)", Cell.Num(Ratio(r.Get("latency").Number("speedup"))))
            .Row("min SQNR", Cell.Num(Sqnr(Min("sqnrDb"))))
            .Row("min cosine", Cell.Num(ReportFormat.Number(Min("cosine"))))
            .Row("min top-1 agreement", Cell.Num(ReportFormat.Percent(Min("top1Agreement"))))
            .Row("verdict", Cell.Verdict(verdict.Bool("passed")));
        html.Append(table);
        var checks = verdict.Get("checks").Items().ToList();
        if (checks.Count > 0)
        {
            var t = new HtmlTable("acceptance check", "limit", "actual", "result");
            foreach (JsonElement? c in checks)
                t.Row(c.Text("metric"), Cell.Num(ReportFormat.Number(c.Number("limit"))), Cell.Num(ReportFormat.Number(c.Number("actual"))), Cell.Verdict(c.Bool("passed")));
            html.Append(t);
        }
        OpCounts(html, r);
        html.Append("</section>");
    }

    private static void OpCounts(StringBuilder html, JsonElement? r)
    {
        var original = r.Get("original").Get("opCounts").Properties().ToDictionary(p => p.Name, p => ((JsonElement?)p.Value).Number(), StringComparer.Ordinal);
        var quantized = r.Get("quantized").Get("opCounts").Properties().ToDictionary(p => p.Name, p => ((JsonElement?)p.Value).Number(), StringComparer.Ordinal);
        if (original.Count + quantized.Count == 0) return;
        var t = new HtmlTable("operator", "original", "quantized");
        foreach (var op in original.Keys.Union(quantized.Keys).Order(StringComparer.Ordinal))
            t.Row(Cell.Code(op), Cell.Num(ReportFormat.Number(original.GetValueOrDefault(op))), Cell.Num(ReportFormat.Number(quantized.GetValueOrDefault(op))));
        html.Append("<h3>Operators</h3>").Append(t);
    }

    private static void Outputs(StringBuilder html, JsonElement? r)
    {
        Section(html, "outputs", "Output fidelity");
        var outputs = r.Get("outputs").Properties().ToList();
        if (outputs.Count == 0)
            html.Append("<p class=\"muted\">No outputs were compared.</p>");
        else
        {
            var t = new HtmlTable("output", "SQNR (dB)", "cosine", "max |error|", "mean |error|", "top-1 agreement", "accuracy (quantized)", "accuracy (original)", "non-finite values");
            foreach (var p in outputs)
            {
                JsonElement? o = p.Value;
                t.Row(Cell.Code(p.Name), Cell.Num(Sqnr(o.Number("sqnrDb"))), Cell.Num(ReportFormat.Number(o.Number("cosine"))),
                    Cell.Num(ReportFormat.Number(o.Number("maxAbsError"))), Cell.Num(ReportFormat.Number(o.Number("meanAbsError"))),
                    Cell.Num(ReportFormat.Percent(o.Number("top1Agreement"))), Cell.Num(ReportFormat.Percent(o.Number("accuracy"))),
                    Cell.Num(ReportFormat.Percent(o.Number("referenceAccuracy"))), Cell.Num(ReportFormat.Number(o.Number("nonFiniteValues"))));
            }
            html.Append(t);
        }
        html.Append("</section>");
    }

    private static void Latency(StringBuilder html, JsonElement? r)
    {
        Section(html, "latency", "Latency");
        var l = r.Get("latency");
        if (l is null)
        {
            html.Append("<p class=\"muted\">Latency was not measured.</p></section>");
            return;
        }
        JsonElement? a = l.Get("original"), b = l.Get("quantized");
        string[] keys = ["p50Ms", "p90Ms", "p99Ms"];
        html.Append(SvgBarChart.Render("Latency (ms)", ["p50", "p90", "p99"],
        [
            new ChartSeries("original", OriginalColor, keys.Select(k => a.Number(k)).ToList()),
            new ChartSeries("quantized", QuantizedColor, keys.Select(k => b.Number(k)).ToList()),
        ], " ms"));
        var shapes = string.Join("; ", l.Get("inputShapes").Properties().Select(p => $"{p.Name} [{string.Join(",", ((JsonElement?)p.Value).Items().Select(d => d.GetRawText()))}]"));
        html.Append(new HtmlTable("setting", "value")
            .Row("speedup", Cell.Num(Ratio(l.Number("speedup"))))
            .Row("threads", Cell.Num(ReportFormat.Number(l.Number("threads"))))
            .Row("execution provider", l.Text("executionProvider"))
            .Row("repeats", Cell.Num(ReportFormat.Number(l.Number("repeats"))))
            .Row("input shapes", Cell.Code(shapes)));
        html.Append("</section>");
    }

    private const int MaxChartedNodes = 300;

    private static void Nodes(StringBuilder html, JsonElement? r)
    {
        Section(html, "nodes", "Quantized nodes");
        var nodes = r.Get("nodes").Items().Select(n => (JsonElement?)n).ToList();
        if (nodes.Count == 0)
        {
            html.Append("<p class=\"muted\">No per-node information.</p></section>");
            return;
        }
        var charted = nodes.Take(MaxChartedNodes).ToList();
        var names = charted.Select(n => n.Text("name") ?? "").ToList();
        if (nodes.Count > MaxChartedNodes)
            html.Append($"<p class=\"muted\">Charts show the first {MaxChartedNodes} of {nodes.Count} nodes; the table lists all.</p>");
        html.Append("<h3>Bits per node</h3>");
        html.Append(SvgBarChart.Render("Bits per node", names, [new ChartSeries("bits", NodeColor, charted.Select(n => n.Number("bits")).ToList())]));
        bool hasSensitivity = nodes.Any(n => n.Number("sensitivity") is not null), hasError = nodes.Any(n => n.Number("errorContribution") is not null);
        if (hasSensitivity || hasError)
        {
            var series = new List<ChartSeries>();
            if (hasSensitivity) series.Add(new ChartSeries("sensitivity", OriginalColor, charted.Select(n => n.Number("sensitivity")).ToList()));
            if (hasError) series.Add(new ChartSeries("error contribution", ErrorColor, charted.Select(n => n.Number("errorContribution")).ToList()));
            html.Append("<h3>Sensitivity and error contribution</h3>");
            html.Append(SvgBarChart.Render("Sensitivity and error contribution per node", names, series));
        }
        var t = new HtmlTable("node", "op", "type", "bits", "sensitivity", "error contribution");
        foreach (var n in nodes)
            t.Row(Cell.Code(n.Text("name")), n.Text("opType"), n.Text("type"), Cell.Num(ReportFormat.Number(n.Number("bits"))),
                Cell.Num(ReportFormat.Number(n.Number("sensitivity"))), Cell.Num(ReportFormat.Number(n.Number("errorContribution"))));
        html.Append(t).Append("</section>");
    }

    private static void Search(StringBuilder html, JsonElement? r)
    {
        var s = r.Get("search");
        if (s is null) return;
        Section(html, "search", "Precision search");
        var front = s.Get("paretoFront").Items().Select(p => (JsonElement?)p)
            .Select(p => (X: p.Number("sizeRatio") ?? double.NaN, Y: p.Number("minSqnrDb") ?? double.NaN)).ToList();
        var chosen = s.Get("chosen");
        bool predicted = s is { } search && search.TryGetProperty("predicted", out var flag) && flag.ValueKind == JsonValueKind.True;
        html.Append("<p>Candidates tried: ").Append(E(ReportFormat.Number(s.Number("candidatesTried"))))
            .Append(predicted
                ? " (predicted: each weight's measured output noise added up, sizes from the packed byte counts; the outputs section has the chosen model's real figures)"
                : " (each quantized and run on the calibration samples)")
            .Append("</p>");
        html.Append(SvgScatterChart.Render("Pareto front", "size ratio (quantized / original)", "min SQNR (dB)", front,
            chosen is null ? null : (chosen.Number("sizeRatio") ?? double.NaN, chosen.Number("minSqnrDb") ?? double.NaN)));
        html.Append("</section>");
    }

    private static void Warnings(StringBuilder html, JsonElement? r)
    {
        Section(html, "warnings", "Warnings");
        var warnings = r.Get("warnings").Items().ToList();
        if (warnings.Count == 0) html.Append("<p class=\"muted\">None.</p>");
        else
        {
            html.Append("<ul class=\"warnings\">");
            foreach (var w in warnings)
                html.Append("<li>").Append(E(w.ValueKind == JsonValueKind.String ? w.GetString() : w.GetRawText())).Append("</li>");
            html.Append("</ul>");
        }
        html.Append("</section>");
    }

    private static void Provenance(StringBuilder html, JsonElement? r)
    {
        Section(html, "provenance", "Provenance");
        var t = new HtmlTable("item", "value");
        foreach (var p in r.Get("provenance").Properties())
            t.Row(p.Name, Cell.Code(Compact(p.Value)));
        if (r.Get("recipe") is { } recipe)
            t.Row("recipe", Cell.Code(Compact(recipe)));
        html.Append(t).Append("</section>");
    }

    private static void Stages(StringBuilder html, JsonElement? r)
    {
        var stages = r.Get("stages");
        if (stages is null) return;
        Section(html, "stages", "Stage timings");
        var t = new HtmlTable("stage", "seconds");
        // The API writes stages as an array of {stage, seconds} or as an object stage -> seconds.
        foreach (JsonElement? s in stages.Items())
            t.Row(s.Text("stage") ?? s.Text("name"), Cell.Num(ReportFormat.Number(s.Number("seconds"))));
        foreach (var p in stages.Properties())
            t.Row(p.Name, Cell.Num(ReportFormat.Number(((JsonElement?)p.Value).Number())));
        html.Append(t).Append("</section>");
    }

    /// <summary>A string as itself; anything else as one line of JSON.</summary>
    private static string? Compact(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString() : JsonSerializer.Serialize(e);

    private static string Ratio(double? v) => v is null ? ReportFormat.Missing : ReportFormat.Number(v) + "×";

    private static string Sqnr(double? v) => v is { } x && x >= 300 ? "exact (≥ 300 dB)" : v is null ? ReportFormat.Missing : ReportFormat.Number(v) + " dB";
}
