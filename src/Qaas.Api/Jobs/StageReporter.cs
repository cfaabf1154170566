using Qaas.Api.Pipeline;

namespace Qaas.Api.Jobs;

/// <summary>Maps a stage's own progress (0..1) onto the job's overall progress and writes events; throttled to one progress event per 1% step.</summary>
internal sealed class StageReporter(JobEventWriter events, Guid jobId, int stageCount) : IJobReporter
{
    private string _stage = "";
    private int _index;
    private double _lastWritten = -1;

    public void Enter(string stage, int index)
    {
        _stage = stage;
        _index = index;
        _lastWritten = -1;
    }

    public async Task ProgressAsync(double stageProgress, CancellationToken ct = default)
    {
        var p = Math.Clamp(stageProgress, 0, 1);
        if (_lastWritten >= 0 && p - _lastWritten < 0.01 && p < 1) return;
        _lastWritten = p;
        var overall = Math.Round((_index + p) / stageCount, 4);
        await events.ProgressAsync(jobId, _stage, overall, ct);
    }

    public Task LogAsync(string level, string message, CancellationToken ct = default) =>
        events.AppendAsync(jobId, "log", new { level, message, stage = _stage }, ct);
}
