using System.Globalization;

namespace Qaas.Cli.Commands;

/// <summary>--timeout: seconds ("90"), or a number with s, m or h ("45s", "30m", "2h").</summary>
public static class WaitTimeout
{
    public static TimeSpan? Parse(string? value)
    {
        if (value is null) return null;
        bool suffixed = value.Length > 0 && char.IsLetter(value[^1]);
        var unit = suffixed ? char.ToLowerInvariant(value[^1]) : 's';
        var number = suffixed ? value[..^1] : value;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount <= 0
            || unit is not ('s' or 'm' or 'h'))
            throw new UsageException($"--timeout '{value}' must be a positive number of seconds, or end in s, m or h (e.g. 30m).");
        var span = unit switch { 'h' => TimeSpan.FromHours(amount), 'm' => TimeSpan.FromMinutes(amount), _ => TimeSpan.FromSeconds(amount) };
        return span <= TimeSpan.FromDays(30) ? span : throw new UsageException($"--timeout '{value}' is longer than 30 days.");
    }
}
