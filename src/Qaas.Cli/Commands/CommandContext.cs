using Qaas.Cli.Client;
using Qaas.Cli.Parsing;

namespace Qaas.Cli.Commands;

/// <summary>What every command gets: its arguments, output writers and an API client.</summary>
public sealed record CommandContext(ParsedArgs Args, TextWriter Out, TextWriter Err, QaasClient Client, bool Interactive)
{
    public bool Json => Args.Flag("json");
}
