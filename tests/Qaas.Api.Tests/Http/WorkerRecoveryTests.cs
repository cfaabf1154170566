using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

/// <summary>
/// Two real worker processes (`dotnet Qaas.Api.dll --role worker`) and an API-only service on one database:
/// kill -9 the worker running a slow job; the other worker takes the job over and finishes it.
/// </summary>
public sealed class WorkerRecoveryTests : IAsyncLifetime
{
    private readonly List<Process> _workers = [];
    private readonly QaasService _api = new();
    private readonly string _prefix = $"r{Guid.NewGuid():N}";
    private string _cs = "";

    public async Task InitializeAsync()
    {
        _cs = await TestPostgres.CreateDatabaseAsync();
        await _api.StartAsync(_cs, _prefix, ["--role=api"]); // applies migrations before the workers start
        for (var i = 0; i < 2; i++) _workers.Add(StartWorker());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await TestPostgres.ScalarAsync(_cs, $"SELECT count(*) FROM information_schema.tables WHERE table_name = 'qrtz_scheduler_state'") == 0
               || await TestPostgres.ScalarAsync(_cs, $"SELECT count(*) FROM qrtz_scheduler_state WHERE sched_name = '{_prefix}-cpu'") < 2)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Workers did not join the cluster.");
            if (_workers.Any(w => w.HasExited)) throw new InvalidOperationException("A worker exited at start-up.");
            await Task.Delay(250);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var w in _workers.Where(w => !w.HasExited))
        {
            w.Kill(entireProcessTree: true);
            await w.WaitForExitAsync();
        }
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Job_of_a_killed_worker_is_finished_by_the_other() => await RunAndStopWorkerAsync(graceful: false);

    [Fact]
    public async Task Job_of_a_worker_shut_down_with_SIGTERM_is_handed_to_the_other() => await RunAndStopWorkerAsync(graceful: true);

    private async Task RunAndStopWorkerAsync(bool graceful)
    {
        using var client = _api.Client();
        var model = await client.UploadModelAsync(TinyOnnx.Relu(40));
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{model.Str("id")}}","preset":"int8-static"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        var jobId = job.Str("id");
        await client.WaitForJobAsync(jobId, j => j.Str("stage") == "delay");

        // Instance ids are "<host>-<pid>-<guid>": find the process that fired the job.
        var instance = await ScalarTextAsync($"SELECT instance_name FROM qrtz_fired_triggers WHERE sched_name = '{_prefix}-cpu' AND job_name = '{jobId}'");
        var pid = int.Parse(instance.Split('-')[^2]);
        var victim = _workers.Single(w => w.Id == pid);
        if (graceful)
            Process.Start("kill", ["-TERM", pid.ToString()])!.WaitForExit(); // interrupts the job, hands the firing back
        else
            victim.Kill(); // SIGKILL: no shutdown, no hand-back; the cluster check-in notices
        await victim.WaitForExitAsync();

        var done = await client.WaitForJobAsync(jobId, j => j.Str("status") is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", done.Str("status"));
        Assert.Equal(2, await TestPostgres.ScalarAsync(_cs, $"SELECT attempts FROM jobs WHERE id = '{jobId}'"));
        var events = await JobsTests.ReadEventsAsync(client, jobId, null);
        Assert.Contains(events, e => e.Type == "log" && e.Data.Contains("restarted"));
        Assert.Contains("succeeded", events[^1].Data);
    }

    private Process StartWorker()
    {
        var dll = Path.Combine(Path.GetDirectoryName(typeof(Qaas.Api.Hosting.QaasHost).Assembly.Location)!, "Qaas.Api.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     dll, "--role", "worker", "--pool", "cpu", $"--ConnectionStrings:Qaas={_cs}", "--urls=http://127.0.0.1:0",
                     $"--Qaas:SchedulerNamePrefix={_prefix}", "--Qaas:Testing:StageDelay=00:00:06", "--Qaas:ApplyMigrations=false",
                     $"--QAAS_BOOTSTRAP_API_KEY={_api.AdminKey}",
                 })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private async Task<string> ScalarTextAsync(string sql)
    {
        await using var conn = new Npgsql.NpgsqlConnection(_cs);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(sql, conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }
}
