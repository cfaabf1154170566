using Microsoft.Extensions.Options;
using Npgsql;
using Qaas.Api.Hosting;

namespace Qaas.Api.Jobs;

/// <summary>A pool is live when a node of its scheduler checked in to the Quartz cluster recently (qrtz_scheduler_state).</summary>
public sealed class PoolLiveness(NpgsqlDataSource db, JobSchedulers schedulers, NodeOptions node, IOptions<QaasOptions> options)
{
    public async Task<int> LiveNodesAsync(string pool, CancellationToken ct)
    {
        // Quartz.NET stores check-in times as UTC ticks.
        var threshold = DateTimeOffset.UtcNow.Subtract(options.Value.PoolLivenessWindow).UtcTicks;
        await using var cmd = db.CreateCommand("SELECT count(*) FROM qrtz_scheduler_state WHERE sched_name = @n AND last_checkin_time > @t");
        cmd.Parameters.AddWithValue("n", schedulers.SchedulerName(pool));
        cmd.Parameters.AddWithValue("t", threshold);
        try
        {
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0; // no worker has ever started: Quartz has not provisioned its tables yet
        }
    }

    public async Task<bool> IsLiveAsync(string pool, CancellationToken ct) =>
        (node.RunsWorker && node.Pool == pool) || await LiveNodesAsync(pool, ct) > 0;
}
