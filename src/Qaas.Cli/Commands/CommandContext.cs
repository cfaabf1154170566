using Qaas.Cli.Client;
using Qaas.Cli.Parsing;

namespace Qaas.Cli.Commands;

/// <summary>What every command gets: its arguments, output writers and an API client.</summary>
public sealed record CommandContext(ParsedArgs Args, TextWriter Out, TextWriter Err, QaasClient Client, bool Interactive)
{
    public bool Json => Args.Flag("json");

    /// <summary>--page-size: items per request of a list command (all pages are fetched either way).</summary>
    public int PageSize => Args.Single("page-size") is not { } text ? QaasClient.DefaultPageSize
        : int.TryParse(text, out var n) && n is >= 1 and <= 500 ? n
        : throw new UsageException($"--page-size must be a whole number from 1 to 500, not '{text}'.");
}
