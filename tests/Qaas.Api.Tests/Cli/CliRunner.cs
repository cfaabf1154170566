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

    /// <summary>`qaas quantize` without --wait on a tiny Relu model written to <paramref name="folder"/>: the job's id.</summary>
    public static async Task<string> SubmitAsync(QaasService service, TempFolder folder, string preset, int width = 8)
    {
        var model = folder.File("relu.onnx");
        await File.WriteAllBytesAsync(model, TinyOnnx.Relu(width));
        var submitted = await RunAsync(service, "quantize", model, "--preset", preset, "--json");
        Assert.True(submitted.ExitCode == 0, submitted.ToString());
        return System.Text.Json.JsonDocument.Parse(submitted.Out).RootElement.GetProperty("id").GetString()!;
    }
}
