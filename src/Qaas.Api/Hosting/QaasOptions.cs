namespace Qaas.Api.Hosting;

/// <summary>Service settings (configuration section "Qaas").</summary>
public sealed class QaasOptions
{
    /// <summary>Largest accepted upload (model, dataset), in bytes; larger is a 413.</summary>
    public long MaxUploadBytes { get; set; } = 4L << 30;
    /// <summary>Apply Migrations/*.sql at start-up.</summary>
    public bool ApplyMigrations { get; set; } = true;
    /// <summary>How many jobs one worker node runs at once.</summary>
    public int WorkerConcurrency { get; set; } = 1;
    /// <summary>Scheduler names are "{prefix}-{pool}"; only tests that host several services in one process change it.</summary>
    public string SchedulerNamePrefix { get; set; } = "qaas";
    /// <summary>A pool counts as live when a node of it checked in within this window.</summary>
    public TimeSpan PoolLivenessWindow { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>Longest a job may run on a worker; past it the job fails (422) and the worker takes the next one.</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromHours(6);
    /// <summary>How many times a job is started before a run that is cut off again ends it as failed.</summary>
    public int MaxJobAttempts { get; set; } = 3;
    /// <summary>How often a worker looks for jobs that nothing will run any more (see OrphanedJobRecovery).</summary>
    public TimeSpan OrphanScanInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a queued or running job must have been untouched before it counts as lost.</summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Quartz cluster check-in interval (also the misfire threshold): how fast a dead node's jobs are recovered.</summary>
    public TimeSpan ClusterCheckinInterval { get; set; } = TimeSpan.FromSeconds(2);
}
