using Microsoft.Extensions.Options;
using Npgsql;
using Qaas.Api.Hosting;
using Quartz;

namespace Qaas.Api.Jobs;

/// <summary>
/// Finds the pool's jobs that nothing will run any more and hands them to Quartz again. Quartz recovers the runs of a
/// node that dies, but not a run that failed to record its own end (the database went away under it: the job stays
/// "running") nor a firing that failed before the job was claimed (a stale pooled connection after a database restart:
/// the job stays "queued"); either way the trigger is used up. A job counts as lost when it is queued or running, has
/// been untouched for Qaas:OrphanGrace, and its Quartz job has neither a trigger nor a firing. Quartz jobs of jobs that
/// ended or were deleted (a cancel that raced a firing) are removed, and so are this node's job folders of jobs that
/// ended (a run killed with its node leaves its folder). That runs on worker nodes, for their pool. On every node: a
/// running job whose cancel was requested while its pool has no live worker is ended as cancelled, since no worker
/// is left to read the request.
/// </summary>
public sealed class OrphanedJobRecovery(
    NpgsqlDataSource db, JobSchedulers schedulers, PoolLiveness liveness, JobWebhook webhook, NodeOptions node, IConfiguration configuration,
    IOptions<QaasOptions> options, ILogger<OrphanedJobRecovery> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.OrphanScanInterval, stoppingToken);
                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable) { } // Quartz has not made its tables yet
            catch (Exception e) { logger.LogWarning(e, "Looking for lost jobs failed; trying again in {Interval}", options.Value.OrphanScanInterval); }
        }
    }

    public async Task SweepAsync(CancellationToken ct)
    {
        await EndStrandedCancelsAsync(ct);
        if (!node.RunsWorker) return;
        var scheduler = await schedulers.ForPoolAsync(node.Pool, ct);
        foreach (var (id, running, priority, submitted, runs) in await LostJobsAsync(scheduler.SchedulerName, ct))
        {
            if (!await scheduler.Exists(PipelineQuartzJob.KeyOf(id), ct))
                await scheduler.AddJob(JobTriggers.Detail(id), default, ct);
            try
            {
                await scheduler.ScheduleJob(JobTriggers.Trigger(id, priority, submitted, running ? runs : null), default, ct);
                logger.LogWarning("Job {JobId} was {Status} with nothing to run it (its last run could not record its end, or its " +
                    "start failed); handed to Quartz again", id, running ? "running" : "queued");
            }
            catch (ObjectAlreadyExistsException) { } // another worker did it first
        }
        foreach (var name in await StaleQuartzJobsAsync(scheduler.SchedulerName, ct))
            await scheduler.DeleteJob(new JobKey(name, PipelineQuartzJob.Group), ct);
        await RemoveEndedJobFoldersAsync(ct);
    }

    private async Task EndStrandedCancelsAsync(CancellationToken ct)
    {
        foreach (var pool in NodeOptions.Pools)
        {
            if (await liveness.IsLiveAsync(pool, ct)) continue;
            await using var cmd = db.CreateCommand("""
                WITH ended AS (
                    UPDATE jobs SET status = 'cancelled', finished_at = now(), updated_at = now()
                    WHERE pool = @pool AND status = 'running' AND cancel_requested AND updated_at < now() - @grace
                    RETURNING id),
                event AS (INSERT INTO job_events (job_id, type, payload) SELECT id, 'status', '{"status":"cancelled"}' FROM ended)
                SELECT id FROM ended
                """);
            cmd.Parameters.AddWithValue("pool", pool);
            cmd.Parameters.AddWithValue("grace", options.Value.OrphanGrace);
            var ended = await RowsAsync(cmd, r => r.GetGuid(0), ct);
            foreach (var id in ended)
            {
                logger.LogWarning("Job {JobId} was cancelled while pool {Pool} had no live worker; ended as cancelled", id, pool);
                _ = Task.Run(() => webhook.NotifyAsync(id, CancellationToken.None), CancellationToken.None);
            }
        }
    }

    // Folders of jobs that ended (or were deleted) and have not been touched for the grace period.
    private async Task RemoveEndedJobFoldersAsync(CancellationToken ct)
    {
        var folders = JobFolders.All(configuration)
            .Where(f => DateTime.UtcNow - Directory.GetLastWriteTimeUtc(f.Value) > options.Value.OrphanGrace)
            .ToDictionary();
        if (folders.Count == 0) return;
        await using var cmd = db.CreateCommand("SELECT id FROM jobs WHERE id = ANY(@ids) AND status IN ('queued', 'running')");
        cmd.Parameters.AddWithValue("ids", folders.Keys.ToArray());
        var active = (await RowsAsync(cmd, r => r.GetGuid(0), ct)).ToHashSet();
        foreach (var (_, folder) in folders.Where(f => !active.Contains(f.Key)))
        {
            try { Directory.Delete(folder, true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { logger.LogDebug(e, "Job folder {Folder} not removed", folder); }
        }
    }

    private async Task<List<(Guid Id, bool Running, int Priority, DateTimeOffset Submitted, int Runs)>> LostJobsAsync(string schedulerName, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT j.id, j.status = 'running', j.priority, j.created_at, j.attempts FROM jobs j
            WHERE j.pool = @pool AND j.status IN ('queued', 'running') AND j.updated_at < now() - @grace
              AND NOT EXISTS (SELECT 1 FROM qrtz_triggers t WHERE t.sched_name = @s AND t.job_group = @g AND t.job_name = j.id::text)
              AND NOT EXISTS (SELECT 1 FROM qrtz_fired_triggers f WHERE f.sched_name = @s AND f.job_group = @g AND f.job_name = j.id::text)
            ORDER BY j.created_at LIMIT 100
            """);
        cmd.Parameters.AddWithValue("pool", node.Pool);
        cmd.Parameters.AddWithValue("grace", options.Value.OrphanGrace);
        cmd.Parameters.AddWithValue("s", schedulerName);
        cmd.Parameters.AddWithValue("g", PipelineQuartzJob.Group);
        return await RowsAsync(cmd, r => (r.GetGuid(0), r.GetBoolean(1), r.GetInt32(2), r.GetFieldValue<DateTimeOffset>(3), r.GetInt32(4)), ct);
    }

    private async Task<List<string>> StaleQuartzJobsAsync(string schedulerName, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            SELECT d.job_name FROM qrtz_job_details d
            WHERE d.sched_name = @s AND d.job_group = @g
              AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id::text = d.job_name AND j.status IN ('queued', 'running'))
              AND NOT EXISTS (SELECT 1 FROM qrtz_triggers t WHERE t.sched_name = @s AND t.job_group = @g AND t.job_name = d.job_name)
              AND NOT EXISTS (SELECT 1 FROM qrtz_fired_triggers f WHERE f.sched_name = @s AND f.job_group = @g AND f.job_name = d.job_name)
            LIMIT 100
            """);
        cmd.Parameters.AddWithValue("s", schedulerName);
        cmd.Parameters.AddWithValue("g", PipelineQuartzJob.Group);
        return await RowsAsync(cmd, r => r.GetString(0), ct);
    }

    private static async Task<List<T>> RowsAsync<T>(NpgsqlCommand cmd, Func<NpgsqlDataReader, T> row, CancellationToken ct)
    {
        var rows = new List<T>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(row(reader));
        return rows;
    }
}
