namespace Qaas.Quantization.Reports.Html;

/// <summary>One set of bars in a chart: a legend name, a CSS colour and one value per category (null: no bar).</summary>
public sealed record ChartSeries(string Name, string Color, IReadOnlyList<double?> Values);
