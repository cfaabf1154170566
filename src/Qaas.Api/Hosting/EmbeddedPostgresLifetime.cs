using Qaas.Storage.Embedded;

namespace Qaas.Api.Hosting;

/// <summary>Stops the embedded PostgreSQL after everything else has shut down (registered first, so stopped last).</summary>
public sealed class EmbeddedPostgresLifetime(EmbeddedPostgres postgres) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => postgres.StopAsync();
}
