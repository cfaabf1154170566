using System.Text.RegularExpressions;
using Qaas.Quantization.Reports.Html;

namespace Qaas.Quantization.Tests.Reports;

/// <summary>The page as a real browser parses and draws it (skipped when chromium is not installed).</summary>
public class ReportInBrowserTests
{
    [ChromiumFact]
    public void Browser_parses_every_section_and_runs_nothing_from_the_model()
    {
        using var folder = new TempFolder();
        var page = folder.File("report.html");
        File.WriteAllText(page, ReportHtmlRenderer.Render(SampleReports.Tricky()));

        var dom = HeadlessChromium.Run(page, "--dump-dom");

        Assert.Equal(8, Regex.Matches(dom, "<section id=").Count);
        Assert.Equal(4, Regex.Matches(dom, "<svg ").Count);
        Assert.DoesNotContain("<script", dom); // the output named <script>... stayed text
        Assert.DoesNotContain("<img", dom);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", dom);
    }

    [ChromiumFact]
    public void Browser_draws_the_page()
    {
        using var folder = new TempFolder();
        var page = folder.File("report.html");
        var png = folder.File("report.png");
        File.WriteAllText(page, ReportHtmlRenderer.Render(SampleReports.Tricky()));

        HeadlessChromium.Run(page, "--screenshot=" + png, "--window-size=1200,3200", "--hide-scrollbars");

        var bytes = File.ReadAllBytes(png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        Assert.True(bytes.Length > 20_000, $"{bytes.Length} bytes: an empty page?");
        if (Environment.GetEnvironmentVariable("QAAS_REPORT_SCREENSHOT") is { Length: > 0 } keep) File.Copy(png, keep, overwrite: true);
    }
}
