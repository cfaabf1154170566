using System.Globalization;
using System.Net;
using System.Text;

namespace Qaas.Quantization.Reports.Html;

/// <summary>An x/y scatter plot as inline SVG (used for the search's Pareto front); the chosen point is highlighted.</summary>
public static class SvgScatterChart
{
    private const int Width = 520, Height = 320, Margin = 48;

    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<(double X, double Y)> points, (double X, double Y)? chosen)
    {
        var all = chosen is { } c ? points.Append(c).ToList() : points.ToList();
        all = all.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        double minX = all.Select(p => p.X).DefaultIfEmpty(0).Min(), maxX = all.Select(p => p.X).DefaultIfEmpty(1).Max();
        double minY = all.Select(p => p.Y).DefaultIfEmpty(0).Min(), maxY = all.Select(p => p.Y).DefaultIfEmpty(1).Max();
        if (maxX - minX < 1e-12) { minX -= 0.5; maxX += 0.5; }
        if (maxY - minY < 1e-12) { minY -= 0.5; maxY += 0.5; }
        // A margin so no point sits on an axis.
        double padX = (maxX - minX) * 0.08, padY = (maxY - minY) * 0.08;
        minX -= padX; maxX += padX; minY -= padY; maxY += padY;
        double Px(double x) => Margin + (x - minX) / (maxX - minX) * (Width - 2 * Margin);
        double Py(double y) => Height - Margin - (y - minY) / (maxY - minY) * (Height - 2 * Margin);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\">");
        svg.Append("<title>").Append(WebUtility.HtmlEncode(title)).Append("</title>");
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Margin}\" y1=\"{Height - Margin}\" x2=\"{Width - Margin}\" y2=\"{Height - Margin}\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Margin}\" y1=\"{Margin}\" x2=\"{Margin}\" y2=\"{Height - Margin}\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(xLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{Height / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {Height / 2})\">{WebUtility.HtmlEncode(yLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"value\" x=\"{Margin}\" y=\"{Height - Margin + 14}\">{ReportFormat.Number(minX)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"value\" x=\"{Width - Margin}\" y=\"{Height - Margin + 14}\" text-anchor=\"end\">{ReportFormat.Number(maxX)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"value\" x=\"{Margin - 4}\" y=\"{Height - Margin}\" text-anchor=\"end\">{ReportFormat.Number(minY)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"value\" x=\"{Margin - 4}\" y=\"{Margin + 4}\" text-anchor=\"end\">{ReportFormat.Number(maxY)}</text>");
        foreach (var p in points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X))
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Px(p.X):0.#}\" cy=\"{Py(p.Y):0.#}\" r=\"4\" fill=\"#4e79a7\"><title>{ReportFormat.Number(p.X)}, {ReportFormat.Number(p.Y)}</title></circle>");
        if (chosen is { } ch && double.IsFinite(ch.X) && double.IsFinite(ch.Y))
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Px(ch.X):0.#}\" cy=\"{Py(ch.Y):0.#}\" r=\"7\" fill=\"none\" stroke=\"#e15759\" stroke-width=\"2\"><title>chosen</title></circle>");
        return svg.Append("</svg>").ToString();
    }
}
