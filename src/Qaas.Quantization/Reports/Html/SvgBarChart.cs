using System.Globalization;
using System.Net;
using System.Text;

namespace Qaas.Quantization.Reports.Html;

/// <summary>
/// A horizontal grouped bar chart as inline SVG (no script, no external resources): one row per category, one bar
/// per series, the value printed after each bar. Category names are escaped and shortened, with the full name in a
/// tooltip.
/// </summary>
public static class SvgBarChart
{
    private const int Width = 760, LabelWidth = 230, ValueWidth = 70, BarHeight = 12, RowGap = 8, LegendHeight = 22;

    public static string Render(string title, IReadOnlyList<string> categories, IReadOnlyList<ChartSeries> series, string unit = "")
    {
        var max = series.SelectMany(s => s.Values).Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).DefaultIfEmpty(0).Max();
        if (max <= 0) max = 1;
        var rowHeight = series.Count * BarHeight + RowGap;
        var height = LegendHeight + categories.Count * rowHeight + RowGap;
        var plot = Width - LabelWidth - ValueWidth;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\">");
        svg.Append("<title>").Append(WebUtility.HtmlEncode(title)).Append("</title>");
        for (var s = 0; s < series.Count; s++)
        {
            var x = LabelWidth + s * 140;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{series[s].Color}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 16}\" y=\"14\">{WebUtility.HtmlEncode(series[s].Name)}</text>");
        }
        for (var c = 0; c < categories.Count; c++)
        {
            var top = LegendHeight + c * rowHeight;
            var label = categories[c].Length > 34 ? categories[c][..33] + "…" : categories[c];
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"label\" x=\"{LabelWidth - 6}\" y=\"{top + rowHeight / 2 + 2}\" text-anchor=\"end\"><title>{WebUtility.HtmlEncode(categories[c])}</title>{WebUtility.HtmlEncode(label)}</text>");
            for (var s = 0; s < series.Count; s++)
            {
                if (series[s].Values[c] is not { } v || !double.IsFinite(v)) continue;
                var w = Math.Max(1, v / max * plot);
                var y = top + s * BarHeight;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{LabelWidth}\" y=\"{y}\" width=\"{w:0.#}\" height=\"{BarHeight - 2}\" fill=\"{series[s].Color}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"value\" x=\"{LabelWidth + w + 4:0.#}\" y=\"{y + BarHeight - 3}\">{ReportFormat.Number(v)}{WebUtility.HtmlEncode(unit)}</text>");
            }
        }
        return svg.Append("</svg>").ToString();
    }
}
