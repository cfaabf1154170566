using Microsoft.Extensions.Options;
using Qaas.Api.Hosting;
using Qaas.Api.Inspection;
using Qaas.Onnx.Summary;
using Qaas.Storage.Blobs;

namespace Qaas.Api.Uploads;

/// <summary>
/// A raw single-file model body stored without a spool file: the structure inspector reads the body, and every byte it
/// reads (weights it passes over included) goes into an uncommitted blob on the way. A body that is not a model is
/// refused at its first bad byte; a good one is stored by the time its last byte has arrived, and only then committed.
/// </summary>
public sealed class StreamingModelReceiver(IOptions<QaasOptions> options, IModelInspector inspector)
{
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
        // The parser reads synchronously; give it a thread of its own rather than a blocked pool thread.
        var summary = await Task.Factory.StartNew(() =>
        {
            using var tee = new TeeToBlobStream(request.Body, blob, ct);
            var description = inspector.Inspect(tee);
            tee.DrainAsync().GetAwaiter().GetResult();
            return description;
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return (summary, await blob.CompleteAsync(ct));
    }
}
