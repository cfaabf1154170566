using Microsoft.Extensions.Options;
using Npgsql;
using Qaas.Api.Hosting;
using Quartz;

namespace Qaas.Api.Jobs;

/// <summary>
/// One Quartz scheduler per pool ("qaas-cpu", "qaas-gpu") over the shared clustered qrtz_* tables. Quartz cannot route a job
/// to part of a cluster, so the pool is the scheduler name. This node starts the scheduler of the pool it works for;
/// the others stay in standby and are only used to enqueue (a standby scheduler never checks in, so it does not count as a live node).
/// </summary>
public sealed class JobSchedulers(
    IServiceProvider services, NodeOptions node, IOptions<QaasOptions> options, DatabaseConnection database, ILogger<JobSchedulers> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly Dictionary<string, (StandaloneSchedulerFactory Factory, IScheduler Scheduler)> _pools = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string SchedulerName(string pool) => $"{options.Value.SchedulerNamePrefix}-{pool}";

    public async Task<IScheduler> ForPoolAsync(string pool, CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_pools.TryGetValue(pool, out var p)) return p.Item2;
            var built = await BuildAsync(pool, ct);
            _pools[pool] = built;
            return built.Scheduler;
        }
        finally { _gate.Release(); }
    }

    public async Task StartAsync(CancellationToken ct)
    {
        if (!node.RunsWorker) return;
        var scheduler = await ForPoolAsync(node.Pool, ct);
        await scheduler.Start(ct);
        logger.LogInformation("Worker of pool {Pool} started (scheduler {Name}, instance {Instance}, {Threads} concurrent job(s))",
            node.Pool, scheduler.SchedulerName, scheduler.SchedulerInstanceId, options.Value.WorkerConcurrency);
    }

    public async Task StopAsync(CancellationToken ct)
    {
        foreach (var (_, (_, scheduler)) in _pools)
            await scheduler.Shutdown(waitForJobsToComplete: true, ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, (factory, _)) in _pools) await factory.DisposeAsync();
        _pools.Clear();
    }

    private async Task<(StandaloneSchedulerFactory Factory, IScheduler Scheduler)> BuildAsync(string pool, CancellationToken ct)
    {
        var o = options.Value;
        var name = SchedulerName(pool);
        var worksHere = node.RunsWorker && node.Pool == pool;
        var factory = QuartzSchedulerBuilder.Create(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = name;
                s.InstanceId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
                s.IdleWaitTime = TimeSpan.FromSeconds(1);
                // On shutdown, interrupt running jobs and hand their firings back so another node restarts them at once.
                s.ShutdownJobInterruption = ShutdownJobInterruption.Always;
            });
            q.UseDefaultThreadPool(tp => tp.MaxConcurrency = worksHere ? Math.Max(1, o.WorkerConcurrency) : 1);
            q.UsePersistentStore(s =>
            {
                s.UsePostgres(NpgsqlFactory.Instance, database.ConnectionString);
                s.UseClustering(c =>
                {
                    c.CheckinInterval = o.ClusterCheckinInterval;
                    c.CheckinMisfireThreshold = o.ClusterCheckinInterval;
                });
                s.UseSystemTextJsonSerializer();
                s.ProvisionSchema();
                s.ConfigureStore(a => a.RecoverFiringsCancelledByShutdown = true);
            });
        }).Build();
        var scheduler = await factory.GetScheduler(ct);
        scheduler.Context[PipelineQuartzJob.ServicesKey] = services;
        return (factory, scheduler);
    }
}
