using System.Globalization;

namespace Qaas.Quantization.Reports.Html;

/// <summary>How the HTML report prints numbers: invariant culture, a few significant digits, "–" for missing.</summary>
public static class ReportFormat
{
    public const string Missing = "–";

    public static string Number(double? v) => v switch
    {
        null => Missing,
        { } x when double.IsNaN(x) => "NaN",
        { } x when double.IsPositiveInfinity(x) => "∞",
        { } x when double.IsNegativeInfinity(x) => "-∞",
        { } x when x != 0 && Math.Abs(x) < 1e-3 => x.ToString("0.###e+0", CultureInfo.InvariantCulture),
        { } x when Math.Abs(x) >= 1000 => x.ToString("#,0", CultureInfo.InvariantCulture),
        { } x => x.ToString("0.####", CultureInfo.InvariantCulture),
    };

    public static string Bytes(double? v)
    {
        if (v is not { } b) return Missing;
        string[] units = ["B", "KiB", "MiB", "GiB"];
        var u = 0;
        while (b >= 1024 && u < units.Length - 1) { b /= 1024; u++; }
        return b.ToString(u == 0 ? "0" : "0.##", CultureInfo.InvariantCulture) + " " + units[u];
    }

    public static string Percent(double? v) => v is { } x ? (x * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %" : Missing;
}
