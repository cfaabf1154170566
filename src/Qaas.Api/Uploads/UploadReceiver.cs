using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Qaas.Api.Hosting;
using Qaas.Api.Problems;
using Qaas.Storage.Blobs;

namespace Qaas.Api.Uploads;

/// <summary>
/// Spools an upload (raw body, multipart/form-data, or a .zip in either) to a temp folder, streaming, with the size limit
/// enforced as bytes arrive. Inspection needs a file on disk. Given a blob store, each file is also streamed into an
/// uncommitted blob as it arrives, so storing it after inspection costs only a commit; a rejected upload rolls those
/// back and leaves nothing in the database.
/// </summary>
public sealed class UploadReceiver(IOptions<QaasOptions> options)
{
    private static readonly byte[] ZipMagic = "PK\u0003\u0004"u8.ToArray();

    /// <param name="rawName">Name given to a raw (non-multipart, non-zip) body.</param>
    /// <param name="stageInto">Blob store the files are written to while they arrive (see <see cref="UploadedFiles.StoreAsync"/>).</param>
    public async Task<UploadedFiles> ReceiveAsync(HttpRequest request, string rawName, string? multipartField, bool expandZips,
        BlobStore? stageInto, CancellationToken ct)
    {
        var limit = PrepareBody(request, options.Value.MaxUploadBytes);
        var mediaType = MediaTypeOf(request);
        if (mediaType is not ("application/octet-stream" or "application/zip" or "application/x-zip-compressed" or "multipart/form-data"))
            throw new ApiProblemException(415,
                $"Content-Type '{request.ContentType}' is not accepted; send application/octet-stream, application/zip or multipart/form-data.",
                title: "Unsupported media type");
        _ = MediaTypeHeaderValue.TryParse(request.ContentType, out var mt);

        var dir = Path.Combine(Path.GetTempPath(), "qaas-upload-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var files = new UploadedFiles(dir);
        try
        {
            if (mediaType == "multipart/form-data")
                await ReceiveMultipartAsync(request, mt!, files, multipartField, limit, new Staging(stageInto, expandZips), ct);
            else
                await SaveAsync(request.Body, rawName, files, limit, new Staging(stageInto, expandZips), ct);
            if (files.Files.Count == 0) throw ApiProblemException.Field(multipartField ?? "body", "no file was uploaded.");
            if (expandZips) await ExpandZipsAsync(files, limit, ct);
            return files;
        }
        catch
        {
            await files.DisposeAsync();
            throw;
        }
    }

    /// <summary>Lifts Kestrel's body limit in favour of ours (a problem-details 413) and refuses a declared length above it.</summary>
    /// <returns>The limit in bytes.</returns>
    public static long PrepareBody(HttpRequest request, long limit)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            sizeFeature.MaxRequestBodySize = null;
        if (request.ContentLength > limit) throw new BlobTooLargeException(limit);
        return limit;
    }

    public static string? MediaTypeOf(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var mt) ? mt.MediaType.Value?.ToLowerInvariant() : null;

    /// <summary>Whether the body begins like a zip archive; the bytes looked at stay in the body for whoever reads it next.</summary>
    public static async Task<bool> BodyStartsWithZipAsync(HttpRequest request, CancellationToken ct)
    {
        var read = await request.BodyReader.ReadAtLeastAsync(ZipMagic.Length, ct);
        var buffer = read.Buffer;
        var isZip = buffer.Length >= ZipMagic.Length && System.Buffers.BuffersExtensions.ToArray(buffer.Slice(0, ZipMagic.Length)).AsSpan().SequenceEqual(ZipMagic);
        request.BodyReader.AdvanceTo(buffer.Start); // nothing consumed
        return isZip;
    }

    private static async Task ReceiveMultipartAsync(HttpRequest request, MediaTypeHeaderValue mt, UploadedFiles files, string? onlyField, long limit,
        Staging staging, CancellationToken ct)
    {
        var boundary = HeaderUtilities.RemoveQuotes(mt.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw new ApiProblemException(400, "multipart/form-data without a boundary.");
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null };
        MultipartSection? section;
        while ((section = await reader.ReadNextSectionAsync(ct)) is not null)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var cd) || !cd.IsFileDisposition()) continue;
            var field = HeaderUtilities.RemoveQuotes(cd.Name).Value;
            if (onlyField is not null && field != onlyField) continue;
            var fileName = HeaderUtilities.RemoveQuotes(cd.FileNameStar.HasValue ? cd.FileNameStar : cd.FileName).Value;
            var name = SafeFileName.Check(Path.GetFileName(fileName ?? field), "file");
            await SaveAsync(section.Body, name, files, limit, staging, ct);
        }
    }

    /// <summary>Where arriving files are also written; a zip that is about to be expanded is not stored as itself.</summary>
    private readonly record struct Staging(BlobStore? Store, bool ExpandZips)
    {
        public bool Wants(ReadOnlySpan<byte> firstBytes) => Store is not null && !(ExpandZips && firstBytes.StartsWith(ZipMagic));
    }

    private static async Task SaveAsync(Stream source, string name, UploadedFiles files, long limit, Staging staging, CancellationToken ct)
    {
        if (files.Files.ContainsKey(name)) throw ApiProblemException.Field("file", $"'{name}' was uploaded twice.");
        var path = Path.Combine(files.Directory, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            var buffer = new byte[1 << 16];
            BlobWriter? blob = null;
            var first = true;
            int n;
            while ((n = await source.ReadAsync(buffer, ct)) > 0)
            {
                files.TotalBytes += n;
                if (files.TotalBytes > limit) throw new BlobTooLargeException(limit);
                if (first && staging.Wants(buffer.AsSpan(0, n)))
                {
                    blob = await staging.Store!.StartAsync(ct: ct);
                    files.Stage(name, blob);
                }
                first = false;
                await target.WriteAsync(buffer.AsMemory(0, n), ct);
                if (blob is not null) await blob.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }
        files.Files[name] = path;
    }

    /// <summary>Every uploaded .zip (by magic bytes) is replaced by its entries.</summary>
    private static async Task ExpandZipsAsync(UploadedFiles files, long limit, CancellationToken ct)
    {
        foreach (var (name, path) in files.Files.ToList())
        {
            if (!await IsZipAsync(path, ct)) continue;
            files.Files.Remove(name);
            await files.UnstageAsync(name); // a zip whose first read was too short to recognise
            var archive = Path.Combine(files.Directory, ".archive-" + Guid.NewGuid().ToString("N")); // its entries may reuse its name
            File.Move(path, archive);
            using (var zip = ZipFile.OpenRead(archive))
            {
                long expanded = 0;
                var entries = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToList();
                // A zip of a folder ("model/x.onnx", "model/x.onnx.data"): drop the shared top folder.
                var tops = entries.Select(e => e.FullName.Replace('\\', '/').Split('/')).ToList();
                var strip = tops.Count > 0 && tops.All(p => p.Length > 1 && p[0] == tops[0][0]) ? tops[0][0].Length + 1 : 0;
                foreach (var entry in entries)
                {
                    var entryName = SafeFileName.Check(entry.FullName.Replace('\\', '/')[strip..], "zip entry");
                    expanded += entry.Length;
                    if (expanded > limit) throw new BlobTooLargeException(limit);
                    await using var s = entry.Open();
                    await SaveAsync(s, entryName, files, limit + files.TotalBytes, default, ct);
                }
            }
            File.Delete(archive);
        }
    }

    public static async Task<bool> IsZipAsync(string path, CancellationToken ct)
    {
        await using var s = File.OpenRead(path);
        var head = new byte[4];
        return await s.ReadAtLeastAsync(head, 4, throwOnEndOfStream: false, ct) == 4 && head.AsSpan().SequenceEqual(ZipMagic);
    }
}
