using Qaas.Onnx.Summary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Npgsql;
using Qaas.Api.Auth;
using Qaas.Api.Contracts;
using Qaas.Quantization.Datasets;
using Qaas.Api.Inspection;
using Qaas.Api.Validation;
using Qaas.Api.Hosting;
using Qaas.Api.Jobs;
using Qaas.Api.Paging;
using Qaas.Api.Problems;
using Qaas.Api.Recipes;
using Qaas.Quantization.Recipes;
using Qaas.Storage;
using Qaas.Storage.Entities;
using Quartz;

namespace Qaas.Api.Endpoints;

/// <summary>/v1/jobs: submit (with Idempotency-Key), get, list, cancel, delete.</summary>
public static class JobsEndpoints
{
    // Elements of one synthesized input tensor: 2^28 floats are 1 GiB.
    private const long MaxInputElements = 1L << 28;

    private const int MaxBodyBytes = 1 << 20;

    /// <summary>Strict parsing: unknown members are 400s naming the field.</summary>
    internal static readonly JsonSerializerOptions StrictJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = false,
    };

    public static void MapJobs(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/jobs").WithTags("Jobs").RequireAuthorization();
        g.MapPost("", Submit).Accepts<JobRequest>("application/json")
            .Produces<JobResponse>(202).Produces<JobResponse>(200).ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(415)
            .WithSummary("Submit a quantization job (optional Idempotency-Key header)");
        g.MapGet("", List).Produces<Page<JobResponse>>();
        g.MapGet("/{id:guid}", Get).Produces<JobResponse>().ProducesProblem(404);
        g.MapPost("/{id:guid}/cancel", Cancel).Produces<JobResponse>(202).ProducesProblem(404).ProducesProblem(409);
        g.MapDelete("/{id:guid}", Delete).Produces(204).ProducesProblem(404).ProducesProblem(409);
    }

    private static async Task<IResult> Submit(HttpRequest request, QaasDbContext db, JobSchedulers schedulers, PoolLiveness liveness, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mt) || !mt.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            throw new ApiProblemException(415, $"Content-Type '{request.ContentType}' is not accepted; send application/json.", title: "Unsupported media type");
        var body = await ReadBodyAsync(request, ct);
        var tenant = request.HttpContext.User.GetTenantId();
        var requestHash = Convert.ToHexStringLower(SHA256.HashData(body));
        var idempotencyKey = request.Headers["Idempotency-Key"].ToString();
        if (idempotencyKey.Length > 200) throw ApiProblemException.Field("Idempotency-Key", "is longer than 200 characters.");
        if (idempotencyKey.Length > 0 && await ReplayAsync(db, tenant, idempotencyKey, requestHash, ct) is { } replay) return replay;

        JobRequest req;
        try { req = JsonSerializer.Deserialize<JobRequest>(body, StrictJson) ?? throw ApiProblemException.Field("body", "must be a JSON object."); }
        catch (JsonException e)
        {
            var field = JsonProblem.FieldOf(e);
            if (e.Message.Contains("could not be mapped", StringComparison.Ordinal))
                throw ApiProblemException.Field(field, "is not a field of a job request.");
            throw new ApiProblemException(400, JsonProblem.Describe(e, typeof(JobRequest)), title: "Malformed JSON");
        }

        var modelId = req.ModelId ?? throw ApiProblemException.Field("modelId", "is required.");
        var recipe = JobRecipe.Resolve(req.Recipe, req.Preset);
        var pool = (req.Pool ?? "cpu").ToLowerInvariant();
        if (!NodeOptions.Pools.Contains(pool)) throw ApiProblemException.Field("pool", $"must be one of {string.Join(", ", NodeOptions.Pools)}.");
        if (req.Priority is < -100 or > 100) throw ApiProblemException.Field("priority", "must be between -100 and 100.");
        if (req.WebhookUrl is { } hook && (!Uri.TryCreate(hook, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
            throw ApiProblemException.Field("webhookUrl", "must be an absolute http(s) URL.");
        if (req.WebhookUrl is not null && System.Net.IPAddress.TryParse(new Uri(req.WebhookUrl).Host.Trim('[', ']'), out var literal)
            && !Jobs.WebhookAddresses.IsAllowed(literal))
            throw ApiProblemException.Field("webhookUrl", "may not point at a link-local address (169.254.0.0/16, fe80::/10), where cloud machines serve their credentials.");
        foreach (var (input, shape) in req.InputShapes ?? [])
        {
            if (shape is null || shape.Length == 0) throw ApiProblemException.Field($"inputShapes.{input}", "must be an array of dimensions.");
            if (shape.Any(d => d < 1)) throw ApiProblemException.Field($"inputShapes.{input}", "dimensions must be positive.");
            // Synthesized inputs of this shape are made in memory: one tensor must stay within an array's reach.
            if (shape.Aggregate(1.0, (a, d) => a * d) > MaxInputElements)
                throw ApiProblemException.Field($"inputShapes.{input}", $"[{string.Join(",", shape)}] has more than {MaxInputElements:N0} elements.");
        }

        var model = await db.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Id == modelId && m.TenantId == tenant, ct)
            ?? throw new ApiProblemException(404, $"modelId: model {modelId} was not found.");
        var datasets = new List<(string Field, IReadOnlyList<DatasetArray> Arrays)?>();
        foreach (var (field, datasetId) in new[] { ("calibrationDatasetId", req.CalibrationDatasetId), ("evaluationDatasetId", req.EvaluationDatasetId) })
        {
            if (datasetId is not { } d) { datasets.Add(null); continue; }
            var ds = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(x => x.Id == d && x.TenantId == tenant, ct)
                ?? throw new ApiProblemException(404, $"{field}: dataset {d} was not found.");
            datasets.Add((field, JsonSerializer.Deserialize<List<DatasetArray>>(ds.Arrays, ModelMapping.Json)!));
        }
        JobInputsCheck.Check(JsonSerializer.Deserialize<ModelSummary>(model.Description, ModelMapping.Json)!, req.InputShapes, datasets[0], datasets[1]);
        if (!await liveness.IsLiveAsync(pool, ct))
            throw new ApiProblemException(409, $"No live worker serves pool '{pool}'; start one with --role worker --pool {pool}.", title: "No live worker");

        var now = Timestamps.Now();
        var job = new JobRecord
        {
            Id = Guid.NewGuid(), TenantId = tenant, ModelId = modelId,
            Recipe = Qaas.Quantization.Recipes.RecipeJson.Serialize(recipe), Preset = recipe.Preset,
            CalibrationDatasetId = req.CalibrationDatasetId, EvaluationDatasetId = req.EvaluationDatasetId,
            InputShapes = req.InputShapes is null ? null : JsonSerializer.Serialize(req.InputShapes, ModelMapping.Json),
            Status = JobStatus.Queued, Pool = pool, Priority = req.Priority ?? 0,
            IdempotencyKey = idempotencyKey.Length > 0 ? idempotencyKey : null, RequestHash = requestHash,
            WebhookUrl = req.WebhookUrl, CreatedAt = now, UpdatedAt = now,
        };
        db.Jobs.Add(job);
        db.JobEvents.Add(new JobEvent { JobId = job.Id, Type = "status", Payload = """{"status":"queued"}""", CreatedAt = now });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } && job.IdempotencyKey is not null)
        {
            db.ChangeTracker.Clear(); // a concurrent request with the same key won
            var winner = await ReplayAsync(db, tenant, idempotencyKey, requestHash, ct);
            if (winner is null) throw;
            return winner;
        }

        var scheduler = await schedulers.ForPoolAsync(pool, ct);
        await scheduler.ScheduleJob(JobTriggers.Detail(job.Id), JobTriggers.Trigger(job.Id, job.Priority, job.CreatedAt), cancellationToken: ct);
        return Results.Json(JobMapping.ToResponse(job), ModelMapping.Json, statusCode: 202);
    }

    /// <summary>Same key and body: the same job (200). Same key, other body: 409.</summary>
    private static async Task<IResult?> ReplayAsync(QaasDbContext db, Guid tenant, string key, string requestHash, CancellationToken ct)
    {
        var existing = await db.Jobs.AsNoTracking().Include(j => j.Artifacts).FirstOrDefaultAsync(j => j.TenantId == tenant && j.IdempotencyKey == key, ct);
        if (existing is null) return null;
        if (existing.RequestHash != requestHash)
            throw new ApiProblemException(409, $"Idempotency-Key '{key}' was already used with a different request body (job {existing.Id}).");
        return Results.Json(JobMapping.ToResponse(existing), ModelMapping.Json, statusCode: 200);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes) throw new Qaas.Storage.Blobs.BlobTooLargeException(MaxBodyBytes);
        using var ms = new MemoryStream();
        var buffer = new byte[16384];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + n > MaxBodyBytes) throw new Qaas.Storage.Blobs.BlobTooLargeException(MaxBodyBytes);
            ms.Write(buffer, 0, n);
        }
        if (ms.Length == 0) throw ApiProblemException.Field("body", "a JSON job request is required.");
        return ms.ToArray();
    }

    private static async Task<Page<JobResponse>> List(HttpContext http, string? status, Guid? modelId, int? limit, string? cursor, QaasDbContext db, CancellationToken ct)
    {
        if (status is not null && !JobStatus.All.Contains(status))
            throw ApiProblemException.Field("status", $"must be one of {string.Join(", ", JobStatus.All)}.");
        var tenant = http.User.GetTenantId();
        var q = db.Jobs.AsNoTracking().Include(j => j.Artifacts).Where(j => j.TenantId == tenant);
        if (status is not null) q = q.Where(j => j.Status == status);
        if (modelId is not null) q = q.Where(j => j.ModelId == modelId);
        return await KeysetPage.ReadAsync(q, limit, cursor, JobMapping.ToResponse, ct);
    }

    private static async Task<JobResponse> Get(Guid id, HttpContext http, NpgsqlDataSource dataSource, CancellationToken ct) =>
        JobMapping.ToResponse(await JobLookup.FindAsync(dataSource, id, http.User.GetTenantId(), ct) ?? throw ApiProblemException.NotFound("Job", id));

    private static async Task<IResult> Cancel(Guid id, HttpContext http, QaasDbContext db, JobSchedulers schedulers, JobWebhook webhook,
        PoolLiveness liveness, ILoggerFactory loggers, CancellationToken ct)
    {
        var job = await FindAsync(db, http, id, ct);
        if (JobStatus.IsEnded(job.Status)) throw new ApiProblemException(409, $"Job {id} has already ended ({job.Status}).");
        // A queued job is cancelled here and now; a running one is stopped by its worker, which polls the flag. When no
        // worker of its pool is alive (its node died and none is left to recover it), nothing would ever read the flag:
        // it ends now too, and a worker that recovers it later finds it cancelled.
        bool orphaned = job.Status == JobStatus.Running && !await liveness.IsLiveAsync(job.Pool, ct);
        var updated = await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE jobs SET cancel_requested = true, updated_at = now(),
                status = CASE WHEN status = 'queued' OR {orphaned} THEN 'cancelled' ELSE status END,
                finished_at = CASE WHEN status = 'queued' OR {orphaned} THEN now() ELSE finished_at END
            WHERE id = {id} AND status IN ('queued', 'running')
            """, ct);
        if (updated == 0) throw new ApiProblemException(409, $"Job {id} has already ended.");
        await db.Entry(job).ReloadAsync(ct);
        if (job.Status == JobStatus.Cancelled)
        {
            db.JobEvents.Add(new JobEvent { JobId = id, Type = "status", Payload = """{"status":"cancelled"}""", CreatedAt = Timestamps.Now() });
            await db.SaveChangesAsync(ct);
            _ = Task.Run(() => webhook.NotifyAsync(id, CancellationToken.None), CancellationToken.None);
            await ForgetQuartzJobAsync(schedulers, job.Pool, id, loggers, ct);
        }
        return Results.Json(JobMapping.ToResponse(job), ModelMapping.Json, statusCode: 202);
    }

    private static async Task<IResult> Delete(Guid id, HttpContext http, QaasDbContext db, JobSchedulers schedulers, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var job = await FindAsync(db, http, id, ct);
        if (!JobStatus.IsEnded(job.Status)) throw new ApiProblemException(409, $"Job {id} is {job.Status}; cancel it first, only ended jobs can be deleted.");
        await ForgetQuartzJobAsync(schedulers, job.Pool, id, loggers, ct);
        db.Jobs.Remove(job); // artifacts, events and metrics go with it (ON DELETE CASCADE); their blobs are collected later
        await db.SaveChangesAsync(ct);
        return Results.NoContent();
    }

    /// <summary>
    /// Removes the Quartz job of an ended QaaS job. That is bookkeeping: when Quartz refuses now (a worker is firing the
    /// job at this moment and holds its trigger), the request still succeeds; the worker finds the job ended and drops
    /// it, and <see cref="OrphanedJobRecovery"/> removes the Quartz job later.
    /// </summary>
    private static async Task ForgetQuartzJobAsync(JobSchedulers schedulers, string pool, Guid id, ILoggerFactory loggers, CancellationToken ct)
    {
        try
        {
            await (await schedulers.ForPoolAsync(pool, ct)).DeleteJob(PipelineQuartzJob.KeyOf(id), ct);
        }
        catch (Quartz.SchedulerException e)
        {
            loggers.CreateLogger(typeof(JobsEndpoints)).LogInformation(e, "Quartz job of {JobId} not removed now; the recovery sweep removes it", id);
        }
    }

    internal static async Task<JobRecord> FindAsync(QaasDbContext db, HttpContext http, Guid id, CancellationToken ct)
    {
        var tenant = http.User.GetTenantId();
        return await db.Jobs.Include(j => j.Artifacts).FirstOrDefaultAsync(j => j.Id == id && j.TenantId == tenant, ct)
            ?? throw ApiProblemException.NotFound("Job", id);
    }
}
