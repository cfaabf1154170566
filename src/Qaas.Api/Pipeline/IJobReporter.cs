namespace Qaas.Api.Pipeline;

/// <summary>How a stage reports: progress within the current stage (0..1) and log lines; both become job events.</summary>
public interface IJobReporter
{
    Task ProgressAsync(double stageProgress, CancellationToken ct = default);
    Task LogAsync(string level, string message, CancellationToken ct = default);
}
