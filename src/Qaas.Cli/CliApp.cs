using System.Net.Http.Headers;
using Qaas.Cli.Client;
using Qaas.Cli.Commands;
using Qaas.Cli.Parsing;

namespace Qaas.Cli;

/// <summary>Entry point, callable in-process by tests: parses, dispatches to one command, maps errors to exit codes.</summary>
public static class CliApp
{
    private delegate Task<int> Command(CommandContext c, CancellationToken ct);

    private static readonly IReadOnlySet<string> Flags = new HashSet<string> { "wait", "json", "help" };
    private static readonly IReadOnlySet<string> Global = new HashSet<string> { "url", "api-key", "help" };

    public const string Usage = """
        usage: qaas <command> [options]   (--url URL, env QAAS_URL; --api-key KEY, env QAAS_API_KEY or .qaas-data/api-key)
          quantize <model.onnx> --preset NAME | --recipe recipe.json [--calibration c.npz] [--evaluation e.npz]
                   [--input-shape name=1,3,224,224 ...] [--pool cpu|gpu] [--out dir] [--wait] [--gate metric=value ...] [--json]
                   [--timeout 30m]
          jobs get <id> | jobs wait <id> [--gate ...] [--out dir] [--timeout 30m] | jobs cancel <id> | jobs list [--status s] [--page-size n]
          download <job id> [--out dir]
          presets
          models list [--page-size n]      (list commands print every page)
        gates: compressionRatio, speedup, minSqnrDb, minCosine, top1Agreement (minimums); accuracyDrop (maximum)
        exit codes: 0 ok, 1 a gate failed, 2 job failed or cancelled, 3 usage or API error, 4 --timeout passed (the job goes on)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler = null, CancellationToken ct = default)
    {
        try
        {
            var parsed = ParsedArgs.Parse(args, Flags);
            if (parsed.Flag("help") || parsed.Positionals.Count == 0) { stdout.WriteLine(Usage); return parsed.Flag("help") ? ExitCodes.Ok : ExitCodes.UsageOrApiError; }
            var (command, options) = Resolve(parsed);
            parsed.RejectUnknown(options.Concat(Global).ToHashSet());
            var settings = CliSettings.From(parsed);
            using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
            http.BaseAddress = settings.Url;
            http.Timeout = Timeout.InfiniteTimeSpan; // event streams and large uploads; cancellation comes from ct
            if (settings.ApiKey is { } key) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            // A terminal gets a progress bar; CI logs (redirected stdout, or a test's writer) get plain lines.
            var interactive = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
            return await command(new CommandContext(parsed, stdout, stderr, new QaasClient(http), interactive), ct);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            stderr.WriteLine("Run 'qaas --help' for usage.");
            return ExitCodes.UsageOrApiError;
        }
        catch (ApiException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.UsageOrApiError;
        }
        catch (HttpRequestException e)
        {
            stderr.WriteLine($"error: cannot reach the QaaS service: {e.Message}");
            return ExitCodes.UsageOrApiError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A connection cut mid-response (HttpIOException), or a local file or folder that cannot be written.
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.UsageOrApiError;
        }
    }

    private static (Command, IReadOnlySet<string>) Resolve(ParsedArgs a)
    {
        var sub = a.Positionals.Count > 1 ? a.Positionals[1] : null;
        return a.Positionals[0] switch
        {
            "quantize" => (QuantizeCommand.RunAsync, QuantizeCommand.Options),
            "download" => (DownloadCommand.RunAsync, DownloadCommand.Options),
            "presets" => (PresetsCommand.RunAsync, PresetsCommand.Options),
            "models" when sub == "list" => (ModelsListCommand.RunAsync, ModelsListCommand.Options),
            "jobs" => sub switch
            {
                "get" => (JobsGetCommand.RunAsync, JobsGetCommand.Options),
                "wait" => (WaitCommand.RunAsync, WaitCommand.Options),
                "cancel" => (JobsCancelCommand.RunAsync, JobsCancelCommand.Options),
                "list" => (JobsListCommand.RunAsync, JobsListCommand.Options),
                _ => throw new UsageException($"Unknown jobs subcommand '{sub}'; use get, wait, cancel or list."),
            },
            var other => throw new UsageException($"Unknown command '{string.Join(' ', a.Positionals.Take(2))}'."),
        };
    }
}
