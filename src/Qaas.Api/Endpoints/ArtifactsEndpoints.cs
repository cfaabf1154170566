using Qaas.Api.Problems;
using Qaas.Storage;
using Qaas.Storage.Blobs;

namespace Qaas.Api.Endpoints;

/// <summary>GET (and HEAD) /v1/jobs/{id}/artifacts/{name}: download with ETag, Range and Content-Length.</summary>
public static class ArtifactsEndpoints
{
    public static void MapArtifacts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/jobs/{id:guid}/artifacts/{name}", Download).WithTags("Jobs").RequireAuthorization()
            .Produces(200, contentType: "application/octet-stream").Produces(206).ProducesProblem(404).ProducesProblem(416);
        // HEAD: the same headers (size, ETag) without the body; kept out of the API document, which lists GET.
        app.MapMethods("/v1/jobs/{id:guid}/artifacts/{name}", ["HEAD"], Download).RequireAuthorization().ExcludeFromDescription();
    }

    private static async Task Download(Guid id, string name, HttpContext http, QaasDbContext db, BlobStore blobs, CancellationToken ct)
    {
        var job = await JobsEndpoints.FindAsync(db, http, id, ct);
        var artifact = job.Artifacts.FirstOrDefault(a => a.Name == name)
            ?? throw new ApiProblemException(404, $"Job {id} has no artifact '{name}'" +
                (job.Artifacts.Count == 0 ? "." : $"; it has {string.Join(", ", job.Artifacts.Select(a => a.Name))}."));
        await BlobResults.WriteAsync(http, blobs, artifact.BlobSha256, artifact.SizeBytes, artifact.ContentType, artifact.Name);
    }
}
