using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Qaas.Api.Hosting;

namespace Qaas.Api.Tests.Infrastructure;

/// <summary>
/// A real QaaS service (role all, pool cpu) on Kestrel at a free port, over its own database on the shared test PostgreSQL.
/// Settings go in as command-line arguments, exactly as an operator would pass them.
/// </summary>
public class QaasService : IAsyncLifetime
{
    private WebApplication? _app;

    public string ConnectionString { get; private set; } = "";
    public string AdminKey { get; } = "qaas_test_" + Guid.NewGuid().ToString("N");
    public Uri BaseAddress { get; private set; } = null!;
    /// <summary>The service's QAAS_DATA_DIR.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "qaas-test-data-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Extra registrations for a derived fixture (e.g. pipeline stages).</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    /// <summary>Extra "--key=value" settings for a derived fixture.</summary>
    protected virtual IEnumerable<string> ExtraArgs => [];

    public async Task InitializeAsync() => await StartAsync(await TestPostgres.CreateDatabaseAsync(), $"t{Guid.NewGuid():N}", ExtraArgs);

    /// <summary>Starts on a given database and scheduler-name prefix (to share a cluster with worker processes).</summary>
    public async Task StartAsync(string connectionString, string schedulerPrefix, IEnumerable<string> extraArgs)
    {
        ConnectionString = connectionString;
        string[] args =
        [
            $"--ConnectionStrings:Qaas={ConnectionString}",
            "--urls=http://127.0.0.1:0",
            $"--QAAS_BOOTSTRAP_API_KEY={AdminKey}",
            $"--Qaas:SchedulerNamePrefix={schedulerPrefix}",
            $"--QAAS_DATA_DIR={DataDirectory}",
            .. extraArgs,
        ];
        _app = await QaasHost.BuildAsync(args, default, ConfigureServices);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key ?? AdminKey);
        return client;
    }

    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public T Service<T>() where T : notnull => _app!.Services.GetRequiredService<T>();

    public async Task DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Service with a 4 KiB upload limit.</summary>
public sealed class SmallLimitService : QaasService
{
    protected override IEnumerable<string> ExtraArgs => ["--Qaas:MaxUploadBytes=4096"];
}

/// <summary>Service whose pipeline has a slow extra stage, so jobs are reliably running for a while.</summary>
public sealed class SlowJobService : QaasService
{
    protected override IEnumerable<string> ExtraArgs => ["--Qaas:Testing:StageDelay=00:00:20"];
}

/// <summary>Service whose worker serves the gpu pool (on this machine without CUDA, so its sessions fall back to the CPU).</summary>
public sealed class GpuPoolService : QaasService
{
    protected override IEnumerable<string> ExtraArgs => ["--pool=gpu"];
}

/// <summary>Service whose jobs have a 20 s extra stage but may run only 2 s.</summary>
public sealed class TimeLimitService : QaasService
{
    protected override IEnumerable<string> ExtraArgs => ["--Qaas:Testing:StageDelay=00:00:20", "--Qaas:JobTimeout=00:00:02"];
}

/// <summary>Service that looks for lost jobs every second (untouched for 2 s) and whose jobs take at least 2 s.</summary>
public sealed class LostJobService : QaasService
{
    protected override IEnumerable<string> ExtraArgs =>
        ["--Qaas:OrphanScanInterval=00:00:01", "--Qaas:OrphanGrace=00:00:02", "--Qaas:Testing:StageDelay=00:00:02", "--Qaas:MaxJobAttempts=3"];
}
