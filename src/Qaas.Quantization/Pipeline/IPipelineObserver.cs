namespace Qaas.Quantization.Pipeline;

/// <summary>Where a running pipeline reports its stage, progress and log lines (the job's event stream).</summary>
public interface IPipelineObserver
{
    /// <param name="stage">The stage now running.</param>
    /// <param name="progress">Overall job progress in 0..1.</param>
    ValueTask ProgressAsync(string stage, double progress, CancellationToken ct);

    /// <param name="level">"info", "warning" or "error".</param>
    ValueTask LogAsync(string level, string message, CancellationToken ct);
}
