using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Qaas.Api.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Storage;
using Qaas.Storage.Blobs;
using Qaas.Storage.Entities;
using Qaas.Quantization.Reports;

namespace Qaas.Api.Jobs;

/// <summary>
/// Runs one QaaS job: claims it, runs the pipeline stages in order, publishes report.json and the stages' artifacts,
/// and records the outcome. A cancel request (checked between stages and polled during them) ends it as cancelled;
/// a stage failure ends it as failed with a problem-details error; a node shutdown leaves it running for Quartz to recover.
/// </summary>
public sealed class JobRunner(
    IServiceScopeFactory scopes, NpgsqlDataSource db, BlobStore blobs, JobEventWriter events, JobWebhook webhook, ResultModelRegistrar registrar,
    IEnumerable<IJobStage> stages, Microsoft.Extensions.Options.IOptions<Hosting.QaasOptions> options, IConfiguration configuration,
    ILogger<JobRunner> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals, // metrics may be infinite
    };
    private static readonly TimeSpan CancelPoll = TimeSpan.FromSeconds(1);

    public async Task RunAsync(Guid jobId, bool recovering, CancellationToken shutdown)
    {
        await using var scope = scopes.CreateAsyncScope();
        var ctx = scope.ServiceProvider.GetRequiredService<QaasDbContext>();
        var job = await ctx.Jobs.FirstOrDefaultAsync(j => j.Id == jobId, shutdown);
        if (job is null || JobStatus.IsEnded(job.Status)) return; // deleted or already finished (a duplicate firing)
        // What an earlier run of this job left (its node died) goes, whatever this run does.
        var work = JobFolders.Of(configuration, jobId);
        DeleteWorkDirectory(work);
        if (job.CancelRequested) { await FinishAsync(job.Id, JobStatus.Cancelled, null, null, CancellationToken.None); return; }
        var model = await ctx.Models.AsNoTracking().Include(m => m.Files).FirstOrDefaultAsync(m => m.Id == job.ModelId, shutdown);
        if (model is null) { await FailAsync(job.Id, new InputGoneException("The model was deleted before the job ran."), null); return; }

        if (job.Attempts >= options.Value.MaxJobAttempts)
        {
            await FinishAsync(jobId, JobStatus.Failed, JobFailure.Interrupted(job.Attempts), null, CancellationToken.None);
            return;
        }
        if (await ClaimAsync(jobId, shutdown) is null)
            return; // cancelled or ended between the read above and the claim (a cancel that raced this firing)
        await events.AppendAsync(jobId, "log", new { level = "info", message = recovering
            ? $"Job restarted on {Environment.MachineName}: its earlier run was cut off (its node stopped or lost the database)."
            : $"Job started on {Environment.MachineName}." }, shutdown);

        // Tenants' models and data: readable by the service's user alone.
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(work);
        else Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        WatchCancel(jobId, cancel);
        using var timeLimit = new CancellationTokenSource(options.Value.JobTimeout);
        using var timedOut = timeLimit.Token.Register(() => cancel.Cancel());
        var stageList = stages.ToList();
        JobContext? final = null;
        try
        {
            var recipe = PoolProvider.Apply(RecipeJson.Parse(job.Recipe), job.Pool);
            var reporter = new StageReporter(events, jobId, stageList.Count);
            final = new JobContext(job, model, recipe, work, reporter, scope.ServiceProvider) { Recovering = recovering };
            for (var i = 0; i < stageList.Count; i++)
            {
                var stage = stageList[i];
                if (await CancelRequestedAsync(jobId, cancel.Token)) throw new OperationCanceledException();
                reporter.Enter(stage.Name, i);
                await reporter.ProgressAsync(0, cancel.Token);
                var sw = Stopwatch.StartNew();
                await stage.RunAsync(final, cancel.Token);
                final.StageTimings.Add(new StageTiming(stage.Name, Math.Round(sw.Elapsed.TotalSeconds, 4)));
            }
            await PublishAsync(final, cancel.Token);
            await FinishAsync(jobId, JobStatus.Succeeded, null, final.Metrics, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            if (timeLimit.IsCancellationRequested && !shutdown.IsCancellationRequested && !await CancelRequestedAsync(jobId, CancellationToken.None))
            {
                await FinishAsync(jobId, JobStatus.Failed, JobFailure.TimeLimit(options.Value.JobTimeout), null, CancellationToken.None);
                return;
            }
            if (shutdown.IsCancellationRequested && !await CancelRequestedAsync(jobId, CancellationToken.None))
            {
                logger.LogInformation("Job {JobId} interrupted by node shutdown; Quartz hands it to another node", jobId);
                throw;
            }
            await FinishAsync(jobId, JobStatus.Cancelled, null, null, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Job {JobId} failed", jobId);
            var refusal = e.GetBaseException() is Qaas.Runtime.OrtException && final?.ModelPath is { } path
                ? OriginalModelLoad.RefusalFor(final, path)
                : null;
            await FailAsync(jobId, e, refusal);
        }
        finally
        {
            await cancel.CancelAsync();
            DeleteWorkDirectory(work);
        }
    }

    private void DeleteWorkDirectory(string work)
    {
        try
        {
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not remove the job folder {Folder}", work);
        }
    }

    private async Task PublishAsync(JobContext context, CancellationToken ct)
    {
        var stored = new Dictionary<string, BlobInfo>(StringComparer.Ordinal);
        foreach (var (name, (path, contentType)) in context.Artifacts)
        {
            BlobInfo blob;
            await using (var s = File.OpenRead(path)) blob = await blobs.PutAsync(s, long.MaxValue, ct);
            stored[name] = blob;
            await using var cmd = db.CreateCommand("""
                INSERT INTO artifacts (job_id, name, blob_sha256, size_bytes, content_type) VALUES (@j, @n, @h, @s, @c)
                ON CONFLICT (job_id, name) DO UPDATE SET blob_sha256 = excluded.blob_sha256, size_bytes = excluded.size_bytes, content_type = excluded.content_type
                """);
            cmd.Parameters.AddWithValue("j", context.Job.Id);
            cmd.Parameters.AddWithValue("n", name);
            cmd.Parameters.AddWithValue("h", blob.Sha256);
            cmd.Parameters.AddWithValue("s", blob.SizeBytes);
            cmd.Parameters.AddWithValue("c", contentType);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        if (await registrar.RegisterAsync(context, stored, ct) is { } resultModel)
        {
            context.Metrics["resultModelId"] = resultModel.ToString();
            await events.AppendAsync(context.Job.Id, "log", new { level = "info", message = $"Registered the result as model {resultModel}." }, ct);
        }
        foreach (var (name, value) in context.Metrics)
        {
            if (value is not (double or float or int or long)) continue;
            await using var cmd = db.CreateCommand("INSERT INTO job_metrics (job_id, name, value) VALUES (@j, @n, @v) ON CONFLICT (job_id, name) DO UPDATE SET value = excluded.value");
            cmd.Parameters.AddWithValue("j", context.Job.Id);
            cmd.Parameters.AddWithValue("n", name);
            cmd.Parameters.AddWithValue("v", Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Marks the job running (queued, or running and being recovered); its run count, or null when it has
    /// ended or a cancel landed meanwhile.</summary>
    private async Task<int?> ClaimAsync(Guid jobId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            WITH claimed AS (
                UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, now()), attempts = attempts + 1, updated_at = now()
                WHERE id = @j AND status IN ('queued', 'running') AND NOT cancel_requested
                RETURNING attempts),
            event AS (INSERT INTO job_events (job_id, type, payload) SELECT @j, 'status', '{"status":"running"}' FROM claimed)
            SELECT attempts FROM claimed
            """);
        cmd.Parameters.AddWithValue("j", jobId);
        return await cmd.ExecuteScalarAsync(ct) is int runs ? runs : null;
    }

    private Task FailAsync(Guid jobId, Exception e, string? refusal) =>
        FinishAsync(jobId, JobStatus.Failed, JobFailure.Of(e, refusal), null, CancellationToken.None);

    private async Task FinishAsync(Guid jobId, string status, ProblemDetails? error, Dictionary<string, object?>? metrics, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE jobs SET status = @s, error = @e::jsonb, metrics = COALESCE(@m::jsonb, metrics), finished_at = now(), updated_at = now(),
                            progress = CASE WHEN @s = 'succeeded' THEN 1 ELSE progress END
            WHERE id = @j AND status NOT IN ('succeeded', 'failed', 'cancelled');
            INSERT INTO job_events (job_id, type, payload)
            SELECT @j, 'status', jsonb_build_object('status', @s) || CASE WHEN @e::jsonb IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('error', @e::jsonb) END
            WHERE NOT EXISTS (SELECT 1 FROM job_events WHERE job_id = @j AND type = 'status' AND payload->>'status' IN ('succeeded', 'failed', 'cancelled'));
            """);
        cmd.Parameters.AddWithValue("j", jobId);
        cmd.Parameters.AddWithValue("s", status);
        cmd.Parameters.AddWithValue("e", error is null ? DBNull.Value : JsonSerializer.Serialize(error, Json));
        cmd.Parameters.AddWithValue("m", metrics is null ? DBNull.Value : JsonSerializer.Serialize(metrics, Json));
        await cmd.ExecuteNonQueryAsync(ct);
        logger.LogInformation("Job {JobId} {Status}", jobId, status);
        _ = Task.Run(() => webhook.NotifyAsync(jobId, CancellationToken.None), CancellationToken.None);
    }

    private async Task<bool> CancelRequestedAsync(Guid jobId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("SELECT cancel_requested FROM jobs WHERE id = @j");
        cmd.Parameters.AddWithValue("j", jobId);
        return await cmd.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>Cancels the running stage when a cancel request lands (possibly via another node).</summary>
    private void WatchCancel(Guid jobId, CancellationTokenSource cancel)
    {
        _ = Task.Run(async () =>
        {
            while (!cancel.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(CancelPoll, cancel.Token);
                    if (await CancelRequestedAsync(jobId, cancel.Token)) { await cancel.CancelAsync(); return; }
                }
                catch (OperationCanceledException) { return; }
                catch (NpgsqlException e) { logger.LogDebug(e, "Cancel poll failed"); }
            }
        });
    }
}
