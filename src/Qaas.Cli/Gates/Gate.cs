using System.Globalization;
using System.Text.Json;

namespace Qaas.Cli.Gates;

/// <summary>A CI threshold on one entry of the job's metrics summary: "name=value".</summary>
public sealed record Gate(string Metric, double Threshold)
{
    /// <summary>Metrics gated as minimums; accuracyDrop is the one maximum.</summary>
    public static readonly IReadOnlySet<string> Minimums = new HashSet<string> { "compressionRatio", "speedup", "minSqnrDb", "minCosine", "top1Agreement" };
    public const string Maximum = "accuracyDrop";

    public bool IsMaximum => Metric == Maximum;

    public static Gate Parse(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0) throw new UsageException($"--gate '{text}' must look like name=value.");
        var name = text[..eq].Trim();
        if (!Minimums.Contains(name) && name != Maximum)
            throw new UsageException($"--gate '{name}' is not a known metric; use one of {string.Join(", ", Minimums.Append(Maximum))}.");
        if (!double.TryParse(text[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new UsageException($"--gate '{text}': '{text[(eq + 1)..]}' is not a number.");
        return new Gate(name, v);
    }

    /// <summary>Null when the gate holds, else why it failed (a missing metric fails: CI asked for it).</summary>
    public string? Check(JsonElement? metrics)
    {
        if (metrics is not { ValueKind: JsonValueKind.Object } m || !m.TryGetProperty(Metric, out var v) || v.ValueKind != JsonValueKind.Number)
            return $"{Metric}: not reported by the job";
        var actual = v.GetDouble();
        var holds = IsMaximum ? actual <= Threshold : actual >= Threshold;
        return holds ? null : string.Create(CultureInfo.InvariantCulture, $"{Metric} = {actual:G6}, required {(IsMaximum ? "<=" : ">=")} {Threshold:G6}");
    }
}
