namespace Qaas.Quantization.Reports.Html;

/// <summary>The report page's inline stylesheet (the page loads nothing from outside).</summary>
internal static class ReportStyles
{
    public const string Css = """
        body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
        h1 { font-size: 1.6rem; } h3 { font-size: 1.02rem; margin: 1rem 0 .3rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
        table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
        th, td { border: 1px solid #ddd; padding: .3rem .6rem; text-align: left; vertical-align: top; }
        th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85rem; word-break: break-all; }
        .pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
        .chart text { font-size: 11px; fill: #333; } .chart .value { fill: #555; } .chart .axis { stroke: #999; }
        ul.warnings li { margin: .2rem 0; } .muted { color: #777; }
        """;
}
