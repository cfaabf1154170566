using System.Diagnostics;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Cli;

/// <summary>`--timeout` ends a wait on a job that runs on (here: a 20 s stage) with its own exit code; the job goes on.</summary>
public sealed class WaitTimeoutCliTests(SlowJobService service) : IClassFixture<SlowJobService>
{
    [Fact]
    public async Task Jobs_wait_past_its_timeout_exits_4_and_leaves_the_job_running()
    {
        using var temp = new TempFolder();
        var id = await CliRunner.SubmitAsync(service, temp, "fp16", width: 6);

        var clock = Stopwatch.StartNew();
        var waited = await CliRunner.RunAsync(service, "jobs", "wait", id, "--timeout", "2s");

        Assert.True(waited.ExitCode == 4, waited.ToString());
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 15);
        Assert.Contains("--timeout", waited.Err);
        using var client = service.Client();
        Assert.Contains(await client.WaitForJobAsync(id, _ => true) is var job ? job.Str("status") : "", new[] { "queued", "running" });
        await client.PostAsync($"/v1/jobs/{id}/cancel", null);

        var bad = await CliRunner.RunAsync(service, "jobs", "wait", id, "--timeout", "soon");
        Assert.True(bad.ExitCode == 3, bad.ToString());
        Assert.Contains("--timeout 'soon'", bad.Err);
    }
}
