using Qaas.Cli.Parsing;

namespace Qaas.Cli;

/// <summary>Where the service is and how to authenticate: flags, then environment, then defaults.</summary>
public sealed record CliSettings(Uri Url, string? ApiKey)
{
    public const string DefaultUrl = "http://127.0.0.1:8080";
    public const string KeyFile = ".qaas-data/api-key";

    public static CliSettings From(ParsedArgs args)
    {
        var url = args.Single("url") ?? Environment.GetEnvironmentVariable("QAAS_URL") ?? DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"--url '{url}' is not an absolute http(s) URL.");
        var key = args.Single("api-key") ?? Environment.GetEnvironmentVariable("QAAS_API_KEY");
        if (string.IsNullOrWhiteSpace(key) && File.Exists(KeyFile)) key = File.ReadAllText(KeyFile).Trim();
        return new CliSettings(uri, string.IsNullOrWhiteSpace(key) ? null : key);
    }
}
