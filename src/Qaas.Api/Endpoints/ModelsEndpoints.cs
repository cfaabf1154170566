using Qaas.Api.Validation;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Qaas.Api.Auth;
using Qaas.Api.Contracts;
using Qaas.Api.Hosting;
using Qaas.Api.Inspection;
using Qaas.Api.Paging;
using Qaas.Api.Problems;
using Qaas.Api.Uploads;
using Qaas.Storage;
using Qaas.Storage.Blobs;
using Qaas.Storage.Entities;

namespace Qaas.Api.Endpoints;

/// <summary>/v1/models: upload (raw, multipart with external data, zip), list, get, download, delete.</summary>
public static class ModelsEndpoints
{
    public static void MapModels(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/models").WithTags("Models").RequireAuthorization();
        g.MapPost("", Upload)
            .Accepts<IFormFile>("application/octet-stream", "multipart/form-data", "application/zip")
            .Produces<ModelResponse>(201).ProducesProblem(400).ProducesProblem(413).ProducesProblem(415)
            .WithSummary("Upload an ONNX model (raw, multipart .onnx + external data files, or .zip)");
        g.MapGet("", List).Produces<Page<ModelResponse>>();
        g.MapGet("/{id:guid}", Get).Produces<ModelResponse>().ProducesProblem(404);
        g.MapGet("/{id:guid}/content", Content).Produces(200, contentType: "application/octet-stream").ProducesProblem(404)
            .WithSummary("Download the .onnx (or ?file= one file of an external-data set)");
        g.MapMethods("/{id:guid}/content", ["HEAD"], Content).ExcludeFromDescription(); // size and ETag without the body
        g.MapGet("/{id:guid}/content.zip", ContentZip).Produces(200, contentType: "application/zip").ProducesProblem(404);
        g.MapDelete("/{id:guid}", Delete).Produces(204).ProducesProblem(404).ProducesProblem(409);
    }

    private static async Task<IResult> Upload(HttpRequest request, string? name, UploadReceiver receiver, StreamingModelReceiver streaming,
        IModelInspector inspector, BlobStore blobs, QaasDbContext db, CancellationToken ct)
    {
        UploadName.Check(name);
        // The common case, one raw .onnx body, streams straight into the store; zips and multipart sets are spooled first.
        if (await streaming.TryReceiveAsync(request, blobs, ct) is var (summary, blob))
        {
            return await RegisterAsync(request, db, string.IsNullOrWhiteSpace(name) ? "model" : name.Trim(), blob, summary, new Dictionary<string, BlobInfo>(), ct);
        }

        await using var upload = await receiver.ReceiveAsync(request, "model.onnx", null, expandZips: true, blobs, ct);
        var onnx = upload.Files.Keys.Where(k => k.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)).ToList();
        var main = upload.Files.Count == 1 ? upload.Files.Keys.Single()
            : onnx.Count == 1 ? onnx[0]
            : throw ApiProblemException.Field("file", onnx.Count == 0
                ? "the upload holds no .onnx file."
                : $"the upload holds {onnx.Count} .onnx files ({string.Join(", ", onnx)}); send one model at a time.");
        var description = await inspector.InspectAsync(upload.PathOf(main), ct);

        var stored = new Dictionary<string, BlobInfo>(StringComparer.Ordinal);
        foreach (var fileName in upload.Files.Keys)
            stored[fileName] = await upload.StoreAsync(fileName, blobs, ct);
        var files = upload.Files.Count > 1 ? stored : new Dictionary<string, BlobInfo>();
        return await RegisterAsync(request, db, string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(main) : name.Trim(),
            stored[main], description, files, ct);
    }

    private static async Task<IResult> RegisterAsync(HttpRequest request, QaasDbContext db, string name, BlobInfo main,
        Onnx.Summary.ModelSummary description, IReadOnlyDictionary<string, BlobInfo> files, CancellationToken ct)
    {
        var model = new ModelRecord
        {
            Id = Guid.NewGuid(),
            TenantId = request.HttpContext.User.GetTenantId(),
            Name = name,
            BlobSha256 = main.Sha256,
            SizeBytes = main.SizeBytes,
            Description = JsonSerializer.Serialize(description, ModelMapping.Json),
            CreatedAt = Timestamps.Now(),
        };
        model.Files = files.Select(kv => new ModelFile { ModelId = model.Id, FileName = kv.Key, BlobSha256 = kv.Value.Sha256, SizeBytes = kv.Value.SizeBytes }).ToList();
        db.Models.Add(model);
        await db.SaveChangesAsync(ct);
        return Results.Created($"/v1/models/{model.Id}", ModelMapping.ToResponse(model));
    }

    private static async Task<Page<ModelResponse>> List(HttpContext http, int? limit, string? cursor, QaasDbContext db, CancellationToken ct)
    {
        var tenant = http.User.GetTenantId();
        return await KeysetPage.ReadAsync(db.Models.AsNoTracking().Include(m => m.Files).Where(m => m.TenantId == tenant), limit, cursor,
            ModelMapping.ToResponse, ct);
    }

    private static async Task<ModelResponse> Get(Guid id, HttpContext http, QaasDbContext db, CancellationToken ct) =>
        ModelMapping.ToResponse(await FindAsync(db, http, id, ct));

    private static async Task Content(Guid id, string? file, HttpContext http, QaasDbContext db, BlobStore blobs, CancellationToken ct)
    {
        var m = await FindAsync(db, http, id, ct);
        if (file is null)
        {
            await BlobResults.WriteAsync(http, blobs, m.BlobSha256, m.SizeBytes, "application/octet-stream", m.Name + ".onnx");
            return;
        }
        var f = m.Files.FirstOrDefault(x => x.FileName == file)
            ?? (m.Files.Count == 0 && file is "model.onnx" ? new ModelFile { FileName = file, BlobSha256 = m.BlobSha256, SizeBytes = m.SizeBytes } : null)
            ?? throw new ApiProblemException(404, $"Model {id} has no file '{file}'; files: {string.Join(", ", m.Files.Select(x => x.FileName))}.");
        await BlobResults.WriteAsync(http, blobs, f.BlobSha256, f.SizeBytes, "application/octet-stream", Path.GetFileName(f.FileName));
    }

    private static async Task ContentZip(Guid id, HttpContext http, QaasDbContext db, BlobStore blobs, CancellationToken ct)
    {
        var m = await FindAsync(db, http, id, ct);
        var files = m.Files.Count > 0 ? m.Files.Select(f => (f.FileName, f.BlobSha256)).ToList() : [(m.Name + ".onnx", m.BlobSha256)];
        http.Response.ContentType = "application/zip";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{m.Id}.zip\"";
        // ZipArchive writes synchronously; stream entries straight through (weights do not compress, so Store them).
        http.Features.Get<IHttpBodyControlFeature>()!.AllowSynchronousIO = true;
        using var zip = new ZipArchive(http.Response.Body, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, sha) in files)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
            await using var target = entry.Open();
            await using var source = await blobs.OpenReadAsync(sha, 0, ct) ?? throw new InvalidOperationException($"Blob {sha} is missing.");
            await source.CopyToAsync(target, 1 << 16, ct);
        }
    }

    private static async Task<IResult> Delete(Guid id, HttpContext http, QaasDbContext db, CancellationToken ct)
    {
        var m = await FindAsync(db, http, id, ct);
        var active = await db.Jobs.Where(j => j.ModelId == id && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running))
            .Select(j => j.Id).FirstOrDefaultAsync(ct);
        if (active != Guid.Empty) throw new ApiProblemException(409, $"Model {id} is used by job {active}, which has not ended; cancel it or wait.");
        db.Models.Remove(m);
        await db.SaveChangesAsync(ct);
        // A job whose result this was no longer points at it (its artifacts stay).
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"UPDATE jobs SET metrics = metrics - 'resultModelId' WHERE metrics ->> 'resultModelId' = {id.ToString()}", ct);
        return Results.NoContent();
    }

    private static async Task<ModelRecord> FindAsync(QaasDbContext db, HttpContext http, Guid id, CancellationToken ct)
    {
        var tenant = http.User.GetTenantId();
        return await db.Models.Include(m => m.Files).FirstOrDefaultAsync(m => m.Id == id && m.TenantId == tenant, ct)
            ?? throw ApiProblemException.NotFound("Model", id);
    }
}
