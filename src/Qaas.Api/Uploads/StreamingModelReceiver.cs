using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using Qaas.Api.Hosting;
using Qaas.Api.Inspection;
using Qaas.Onnx.Summary;
using Qaas.Storage.Blobs;

namespace Qaas.Api.Uploads;

/// <summary>
/// A raw single-file model body stored without a spool file: each buffer goes into an uncommitted blob and, through a
/// bounded pipe, into the structure inspector running beside it. A body that is not a model is refused at its first bad
/// byte; a good one is stored by the time its last byte has arrived, and only then committed.
/// </summary>
public sealed class StreamingModelReceiver(IOptions<QaasOptions> options, IModelInspector inspector)
{
    private static readonly PipeOptions Bounded = new(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, useSynchronizationContext: false);

    /// <summary>
    /// The model's summary and its committed blob, or null (nothing read) when the body is not one raw file: multipart
    /// sets and zips are spooled by <see cref="UploadReceiver"/> instead. Nothing is stored when this throws.
    /// </summary>
    public async Task<(ModelSummary Summary, BlobInfo Blob)?> TryReceiveAsync(HttpRequest request, BlobStore blobs, CancellationToken ct)
    {
        // Before the first read: Kestrel's own body limit can only be lifted until then.
        var limit = UploadReceiver.PrepareBody(request, options.Value.MaxUploadBytes);
        if (UploadReceiver.MediaTypeOf(request) != "application/octet-stream" || await UploadReceiver.BodyStartsWithZipAsync(request, ct))
            return null;
        await using var blob = await blobs.StartAsync(limit, ct);
        var pipe = new Pipe(Bounded);
        // The parser reads synchronously; give it its own thread rather than a blocked pool thread.
        var inspection = Task.Factory.StartNew(() =>
        {
            using var model = pipe.Reader.AsStream();
            return inspector.Inspect(model);
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
            {
                await blob.WriteAsync(buffer.AsMemory(0, n), ct);
                var flushed = await pipe.Writer.WriteAsync(buffer.AsMemory(0, n), ct);
                if (flushed.IsCompleted) break; // the inspector stopped reading: its error is the answer
            }
            await pipe.Writer.CompleteAsync();
        }
        catch (Exception e)
        {
            await pipe.Writer.CompleteAsync(e);
            try { await inspection; } catch (Exception) { } // the receive error is the one to report
            throw;
        }
        var summary = await inspection;
        return (summary, await blob.CompleteAsync(ct));
    }
}
