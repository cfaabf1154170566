namespace Qaas.Api.Pipeline.Stages;

/// <summary>
/// Test-only stage (registered when Qaas:Testing:StageDelay is set): waits, reporting progress, so cancellation and
/// crash recovery can be exercised against a job that is reliably still running.
/// </summary>
public sealed class DelayStage(TimeSpan delay) : IJobStage
{
    public string Name => "delay";

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        const int steps = 10;
        for (var i = 1; i <= steps; i++)
        {
            await Task.Delay(delay / steps, ct);
            await context.Reporter.ProgressAsync((double)i / steps, ct);
        }
    }
}
