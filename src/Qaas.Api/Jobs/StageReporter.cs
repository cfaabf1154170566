using Qaas.Api.Pipeline;

namespace Qaas.Api.Jobs;

/// <summary>
/// Maps a stage's own progress (0..1) onto the job's overall progress and writes events; throttled to one progress
/// event per 1% step, and never backwards within a stage: a stage's IProgress may report from several threads, and
/// its sub-steps may restart their own count.
/// </summary>
internal sealed class StageReporter(JobEventWriter events, Guid jobId, int stageCount) : IJobReporter
{
    private readonly SemaphoreSlim _writing = new(1, 1);
    private string _stage = "";
    private int _index;
    private double _lastWritten = -1;

    public void Enter(string stage, int index)
    {
        // After any report of the previous stage still being written.
        _writing.Wait();
        _stage = stage;
        _index = index;
        _lastWritten = -1;
        _writing.Release();
    }

    public async Task ProgressAsync(double stageProgress, CancellationToken ct = default)
    {
        var p = Math.Clamp(stageProgress, 0, 1);
        await _writing.WaitAsync(ct);
        try
        {
            if (_lastWritten >= 0 && (p <= _lastWritten || p - _lastWritten < 0.01 && p < 1)) return;
            _lastWritten = p;
            var overall = Math.Round((_index + p) / stageCount, 4);
            await events.ProgressAsync(jobId, _stage, overall, ct);
        }
        finally
        {
            _writing.Release();
        }
    }

    public Task LogAsync(string level, string message, CancellationToken ct = default) =>
        events.AppendAsync(jobId, "log", new { level, message, stage = _stage }, ct);
}
