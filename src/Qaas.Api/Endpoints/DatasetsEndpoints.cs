using Qaas.Api.Validation;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Qaas.Api.Auth;
using Qaas.Api.Contracts;
using Qaas.Quantization.Datasets;
using Qaas.Api.Hosting;
using Qaas.Api.Paging;
using Qaas.Api.Problems;
using Qaas.Api.Uploads;
using Qaas.Storage;
using Qaas.Storage.Blobs;
using Qaas.Storage.Entities;

namespace Qaas.Api.Endpoints;

/// <summary>/v1/datasets: calibration / evaluation data (.npz or a zip of TensorProto files).</summary>
public static class DatasetsEndpoints
{
    public static void MapDatasets(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/v1/datasets").WithTags("Datasets").RequireAuthorization();
        g.MapPost("", Upload)
            .Accepts<IFormFile>("application/octet-stream", "multipart/form-data", "application/zip")
            .Produces<DatasetResponse>(201).ProducesProblem(400).ProducesProblem(413).ProducesProblem(415);
        g.MapGet("", List).Produces<Page<DatasetResponse>>();
        g.MapGet("/{id:guid}", Get).Produces<DatasetResponse>().ProducesProblem(404);
        g.MapDelete("/{id:guid}", Delete).Produces(204).ProducesProblem(404).ProducesProblem(409);
    }

    private static async Task<IResult> Upload(HttpRequest request, string? name, UploadReceiver receiver,
        BlobStore blobs, QaasDbContext db, CancellationToken ct)
    {
        UploadName.Check(name);
        await using var upload = await receiver.ReceiveAsync(request, "dataset", "file", expandZips: false, blobs, ct);
        if (upload.Files.Count != 1) throw ApiProblemException.Field("file", "send exactly one dataset file.");
        var (fileName, path) = upload.Files.Single();
        var description = DatasetFiles.Describe(path);
        var blob = await upload.StoreAsync(fileName, blobs, ct);
        var record = new DatasetRecord
        {
            Id = Guid.NewGuid(),
            TenantId = request.HttpContext.User.GetTenantId(),
            Name = string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(fileName) : name.Trim(),
            BlobSha256 = blob.Sha256,
            SizeBytes = blob.SizeBytes,
            Format = description.Format,
            Samples = description.Samples,
            Arrays = JsonSerializer.Serialize(description.Arrays, ModelMapping.Json),
            CreatedAt = Timestamps.Now(),
        };
        db.Datasets.Add(record);
        await db.SaveChangesAsync(ct);
        return Results.Created($"/v1/datasets/{record.Id}", ToResponse(record));
    }

    private static async Task<Page<DatasetResponse>> List(HttpContext http, int? limit, string? cursor, QaasDbContext db, CancellationToken ct)
    {
        var tenant = http.User.GetTenantId();
        return await KeysetPage.ReadAsync(db.Datasets.AsNoTracking().Where(d => d.TenantId == tenant), limit, cursor, ToResponse, ct);
    }

    private static async Task<DatasetResponse> Get(Guid id, HttpContext http, QaasDbContext db, CancellationToken ct) =>
        ToResponse(await FindAsync(db, http, id, ct));

    private static async Task<IResult> Delete(Guid id, HttpContext http, QaasDbContext db, CancellationToken ct)
    {
        var d = await FindAsync(db, http, id, ct);
        var active = await db.Jobs.Where(j => (j.CalibrationDatasetId == id || j.EvaluationDatasetId == id)
                && (j.Status == JobStatus.Queued || j.Status == JobStatus.Running)).Select(j => j.Id).FirstOrDefaultAsync(ct);
        if (active != Guid.Empty) throw new ApiProblemException(409, $"Dataset {id} is used by job {active}, which has not ended.");
        db.Datasets.Remove(d);
        await db.SaveChangesAsync(ct);
        return Results.NoContent();
    }

    internal static async Task<DatasetRecord> FindAsync(QaasDbContext db, HttpContext http, Guid id, CancellationToken ct)
    {
        var tenant = http.User.GetTenantId();
        return await db.Datasets.FirstOrDefaultAsync(d => d.Id == id && d.TenantId == tenant, ct) ?? throw ApiProblemException.NotFound("Dataset", id);
    }

    private static DatasetResponse ToResponse(DatasetRecord d) => new(d.Id, d.Name, d.BlobSha256, d.SizeBytes, d.Format, d.Samples,
        JsonSerializer.Deserialize<List<DatasetArray>>(d.Arrays, ModelMapping.Json)!, d.CreatedAt);
}
