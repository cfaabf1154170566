using Qaas.Api.Tests.Infrastructure;
using Qaas.Cli;

namespace Qaas.Api.Tests.Cli;

/// <summary>Runs the real `qaas` CLI in-process against a real service, capturing its output.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    public static async Task<Result> RunAsync(QaasService service, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var code = await CliApp.RunAsync([.. args, "--url", service.BaseAddress.ToString(), "--api-key", service.AdminKey], stdout, stderr, ct: timeout.Token);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
