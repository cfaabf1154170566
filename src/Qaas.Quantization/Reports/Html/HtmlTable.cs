using System.Net;
using System.Text;

namespace Qaas.Quantization.Reports.Html;

/// <summary>Builds an HTML table whose cells are plain text (escaped here) or numbers (right-aligned).</summary>
internal sealed class HtmlTable
{
    private readonly StringBuilder _html = new();

    public HtmlTable(params string[] headers)
    {
        _html.Append("<table><thead><tr>");
        foreach (var h in headers) _html.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        _html.Append("</tr></thead><tbody>");
    }

    /// <summary>Adds a row; a cell is text, or a <see cref="Cell"/> for numbers and pre-built markup.</summary>
    public HtmlTable Row(params Cell[] cells)
    {
        _html.Append("<tr>");
        foreach (var c in cells) _html.Append(c.Markup);
        _html.Append("</tr>");
        return this;
    }

    public override string ToString() => _html + "</tbody></table>";

    public readonly record struct Cell(string Markup)
    {
        public static implicit operator Cell(string? text) => new("<td>" + WebUtility.HtmlEncode(text ?? ReportFormat.Missing) + "</td>");
        public static Cell Num(string formatted) => new("<td class=\"num\">" + WebUtility.HtmlEncode(formatted) + "</td>");
        public static Cell Code(string? text) => new("<td><code>" + WebUtility.HtmlEncode(text ?? ReportFormat.Missing) + "</code></td>");
        public static Cell Verdict(bool? passed) => new(passed switch
        {
            true => "<td class=\"pass\">passed</td>",
            false => "<td class=\"fail\">failed</td>",
            null => "<td class=\"muted\">no acceptance limits</td>",
        });
    }
}
