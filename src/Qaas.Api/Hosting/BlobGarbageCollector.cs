using Qaas.Storage.Blobs;

namespace Qaas.Api.Hosting;

/// <summary>Periodically deletes blobs nothing refers to any more (deleted models, datasets, jobs; abandoned staging rows).</summary>
public sealed class BlobGarbageCollector(BlobStore blobs, ILogger<BlobGarbageCollector> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(10);
    // Grace period: a blob just written by an upload whose metadata row is not committed yet must survive.
    private static readonly TimeSpan Grace = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Every, stoppingToken);
                var n = await blobs.CollectGarbageAsync(Grace, stoppingToken);
                if (n > 0) logger.LogInformation("Collected {Count} unreferenced blob(s)", n);
            }
            catch (OperationCanceledException) { return; }
            catch (Exception e) { logger.LogWarning(e, "Blob garbage collection failed"); }
        }
    }
}
