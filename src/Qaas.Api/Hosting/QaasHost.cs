using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;
using Npgsql;
using Qaas.Api.Auth;
using Qaas.Quantization.Datasets;
using Qaas.Api.Endpoints;
using Qaas.Api.Inspection;
using Qaas.Api.Jobs;
using Qaas.Api.Observability;
using Qaas.Api.Pipeline;
using Qaas.Api.Pipeline.Stages;
using Qaas.Api.Problems;
using Qaas.Api.Uploads;
using Qaas.Storage;
using Qaas.Storage.Blobs;
using Qaas.Storage.Migrations;
using Serilog;

namespace Qaas.Api.Hosting;

/// <summary>Builds the service: database (embedded or configured), migrations, DI, HTTP pipeline, endpoints, Quartz workers.</summary>
public static class QaasHost
{
    /// <param name="configureServices">Runs after the service's own registrations (tests add pipeline stages here).</param>
    public static async Task<WebApplication> BuildAsync(string[] args, CancellationToken ct = default, Action<IServiceCollection>? configureServices = null)
    {
        // No reload-on-change: its watcher would follow the content root (the working directory) recursively, and the
        // embedded PostgreSQL writes its data folder there by default — every WAL write became a watcher event.
        var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        var config = builder.Configuration;
        var node = NodeOptions.From(config);
        var urls = config["urls"] ?? config["QAAS_URLS"] ?? Environment.GetEnvironmentVariable("QAAS_URLS") ?? "http://127.0.0.1:8080";
        // Kestrel reads a malformed address ("http://127.0.0.1:", no port) as "every interface, port 80": refuse it instead.
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var parsed)
                || parsed.Scheme is not ("http" or "https") || url.TrimEnd('/').EndsWith(':'))
                throw new ArgumentException($"QAAS_URLS: '{url}' is not an http(s) address with a host and port (e.g. http://127.0.0.1:8080).");
        builder.WebHost.UseUrls(urls);

        var serilog = Logging.Create(config);
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(serilog, dispose: true);
        // Lives as long as the process: the embedded server logs through it until it is stopped.
        var bootLoggerFactory = LoggerFactory.Create(l => l.AddSerilog(serilog));
        var bootLog = bootLoggerFactory.CreateLogger("Qaas.Startup");

        var database = await DatabaseSetup.ResolveAsync(config, node, bootLog, ct);
        try
        {
            return await BuildAsync(builder, node, database, bootLog, serilog, urls, configureServices, ct);
        }
        catch
        {
            if (database.Embedded is not null) await database.Embedded.StopAsync();
            throw;
        }
    }

    private static async Task<WebApplication> BuildAsync(WebApplicationBuilder builder, NodeOptions node, DatabaseSetup.Resolved database,
        Microsoft.Extensions.Logging.ILogger bootLog, Serilog.ILogger serilog, string urls, Action<IServiceCollection>? configureServices, CancellationToken ct)
    {
        var config = builder.Configuration;
        var s = builder.Services;
        if (database.Embedded is not null)
        {
            s.AddSingleton(database.Embedded);
            s.AddHostedService<EmbeddedPostgresLifetime>(); // first registered: stopped last
        }
        s.Configure<QaasOptions>(config.GetSection("Qaas"));
        s.AddSingleton(node);
        s.AddSingleton(new DatabaseConnection(database.ConnectionString));
        var dataSource = DatabaseSetup.CreateDataSource(database.ConnectionString);
        s.AddSingleton(dataSource);
        s.AddSingleton<ApiKeyCache>();
        s.AddSingleton<ApiKeyChangeInterceptor>();
        s.AddDbContext<QaasDbContext>((sp, o) => o.UseNpgsql(dataSource).AddInterceptors(sp.GetRequiredService<ApiKeyChangeInterceptor>()));
        s.AddSingleton<BlobStore>();
        s.AddSingleton<UploadReceiver>();
        s.AddSingleton<StreamingModelReceiver>();
        s.AddSingleton<RequestCounter>();

        // Model inspection and the pipeline stages a job runs.
        s.AddSingleton<IModelInspector, OnnxModelInspector>();
        AddPipeline(s, config);

        s.AddSingleton<JobEventWriter>();
        s.AddHttpClient();
        s.AddHttpClient(nameof(Jobs.JobWebhook)).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectCallback = Jobs.WebhookAddresses.ConnectAsync });
        s.AddSingleton<JobWebhook>();
        s.AddSingleton<ResultModelRegistrar>();
        s.AddSingleton<JobRunner>();
        s.AddSingleton<QuantizeCheckpoint>();
        s.AddSingleton<JobSchedulers>();
        s.AddHostedService(sp => sp.GetRequiredService<JobSchedulers>());
        s.AddHostedService<OrphanedJobRecovery>();
        s.AddSingleton<PoolLiveness>();
        s.AddHostedService<BlobGarbageCollector>();

        s.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.StatusDetails.Fill);
        s.AddSingleton<IProblemDetailsWriter, ProblemJsonFallbackWriter>(); // after the default: for any Accept
        s.AddExceptionHandler<ProblemExceptionHandler>();
        s.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        s.AddAuthorizationBuilder().AddPolicy(QaasClaims.AdminPolicy, p => p.RequireAuthenticatedUser().RequireRole(Storage.Entities.Roles.Admin));
        s.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never);
        s.AddEndpointsApiExplorer();
        s.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo { Title = "QaaS — quantization as a service", Version = "v1" });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "API key: Authorization: Bearer qaas_...",
            });
            o.AddSecurityRequirement(doc => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", doc)] = [] });
        });

        configureServices?.Invoke(s);
        var app = builder.Build();
        if (config.GetValue("Qaas:ApplyMigrations", true))
            await MigrationRunner.ApplyAsync(dataSource, bootLog, ct);
        await BootstrapApiKey.EnsureAsync(app.Services, config, bootLog, ct);

        // Outermost, so that it counts the status the exception handler and status-code pages finally send.
        app.UseRequestCounting();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        if (node.RunsApi) // a worker-only node serves health and metrics, not an API to document
        {
            app.UseSwagger();
            app.UseSwaggerUI(o => o.SwaggerEndpoint("/swagger/v1/swagger.json", "QaaS v1"));
        }
        app.MapHealth();
        app.MapMetrics();
        if (node.RunsApi)
        {
            app.MapModels();
            app.MapDatasets();
            app.MapJobs();
            app.MapJobEvents();
            app.MapArtifacts();
            app.MapPresets();
            app.MapTenants();
            app.MapKeys();
        }
        var startLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Qaas.Startup");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var url in app.Urls)
                if (node.RunsApi)
                    startLog.LogInformation("QaaS {Role} node (pool {Pool}) on {Url} — Swagger UI: {Url}/swagger", node.Role, node.Pool, url, url.TrimEnd('/'));
                else
                    startLog.LogInformation("QaaS worker node (pool {Pool}): health and metrics on {Url}", node.Pool, url);
        });
        return app;
    }

    /// <summary>Pipeline stages in run order: load -> analyze -> quantize (transform, calibrate, rewrite) -> evaluate -> report.</summary>
    private static void AddPipeline(IServiceCollection s, IConfiguration config)
    {
        s.AddSingleton<IJobStage, LoadStage>();
        s.AddSingleton<IJobStage, AnalyzeStage>();
        if (config.GetValue<TimeSpan?>("Qaas:Testing:StageDelay") is { } delay)
            s.AddSingleton<IJobStage>(new DelayStage(delay));
        s.AddSingleton<IJobStage, QuantizeStage>();
        s.AddSingleton<IJobStage, EvaluateStage>();
        s.AddSingleton<IJobStage, ReportStage>();
    }
}
