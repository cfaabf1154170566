using System.Text.RegularExpressions;
using Qaas.Quantization.Reports;
using Qaas.Quantization.Reports.Html;

namespace Qaas.Quantization.Tests.Reports;

public class ReportHtmlRendererTests
{
    [Fact]
    public void Names_from_the_model_are_escaped()
    {
        var html = ReportHtmlRenderer.Render(SampleReports.Tricky());

        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("head</td><td>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("conv&lt;1&gt;&amp;&quot;2&quot;", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html);
        Assert.Contains("1.0.0&lt;beta&gt;", html);
        Assert.Contains("x&amp;y [1,3,48,192]", html);
    }

    [Fact]
    public void Search_section_says_whether_its_points_were_run_or_predicted()
    {
        var measured = SampleReports.Tricky();
        Assert.Contains("each quantized and run on the calibration samples", ReportHtmlRenderer.Render(measured));
        var predicted = measured with { Search = measured.Search! with { Predicted = true } };
        var html = ReportHtmlRenderer.Render(predicted);
        Assert.Contains("(predicted:", html);
        Assert.DoesNotContain("each quantized and run", html);
    }

    [Fact]
    public void Page_has_every_section_and_is_self_contained()
    {
        var html = ReportHtmlRenderer.Render(SampleReports.Tricky());

        Assert.StartsWith("<!DOCTYPE html>", html);
        foreach (var id in new[] { "summary", "outputs", "latency", "nodes", "search", "warnings", "provenance", "stages" })
            Assert.Contains($"<section id=\"{id}\">", html);
        // Nothing loaded from elsewhere: no URLs, no scripts, no external stylesheets or images.
        Assert.DoesNotContain("http", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain(" src=\"", html);
        // Charts: latency (one), bits per node, sensitivity/error, Pareto front.
        Assert.Equal(4, Count(html, "<svg"));
        foreach (var tag in new[] { "section", "svg", "table", "tr", "td", "ul", "li", "text", "title" })
            Assert.Equal(Count(html, $"<{tag}[ >]"), Count(html, $"</{tag}>"));
        // Summary numbers and the verdict.
        Assert.Contains("3.81&#215;", html); // HtmlEncode writes × as an entity
        Assert.Contains("2.98&#215;", html);
        Assert.Contains("31.5 dB", html);
        Assert.Contains("exact (≥ 300 dB)", html);
        Assert.Contains("class=\"fail\">failed", html);
        Assert.Contains("3.81 MiB", html);
    }

    [Fact]
    public void Partial_api_report_renders_with_gaps_marked()
    {
        // The shape the API writes: camelCase, provenance with a nested recipe, stages as an array, no latency.
        const string json = """
            {
              "original": { "sizeBytes": 2048, "sha256": "aa" },
              "outputs": { "prob": { "sqnrDb": 40.25, "cosine": 0.99995, "maxAbsError": 0.01, "meanAbsError": 0.001 } },
              "stages": [ { "stage": "load", "seconds": 0.5 }, { "stage": "evaluate", "seconds": 2 } ],
              "warnings": [],
              "provenance": { "modelSha256": "aa", "recipe": { "preset": "fp16" }, "toolVersion": "1.0" }
            }
            """;

        var html = ReportHtmlRenderer.Render(json);

        Assert.Contains("Latency was not measured.", html);
        Assert.Contains("No per-node information.", html);
        Assert.DoesNotContain("<section id=\"search\">", html);
        Assert.Contains("40.25 dB", html);
        Assert.Contains("evaluate", html);
        Assert.Contains("{&quot;preset&quot;:&quot;fp16&quot;}", html);
        Assert.Contains("no acceptance limits", html);
    }

    private static int Count(string html, string pattern) => Regex.Matches(html, pattern).Count;
}
