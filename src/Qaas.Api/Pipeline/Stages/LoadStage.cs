using Microsoft.EntityFrameworkCore;
using Qaas.Storage;
using Qaas.Storage.Blobs;

namespace Qaas.Api.Pipeline.Stages;

/// <summary>
/// Materialises the model (and its external data files) and the job's datasets from the blob store into the work
/// folder; every read verifies its SHA-256.
/// </summary>
public sealed class LoadStage(BlobStore blobs) : IJobStage
{
    public string Name => "load";

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var model = context.Model;
        var files = model.Files.Count > 0
            ? model.Files.Select(f => (f.FileName, f.BlobSha256)).ToList()
            : [("model.onnx", model.BlobSha256)];
        var dir = Path.Combine(context.WorkDirectory, "original");
        Directory.CreateDirectory(dir);
        for (var i = 0; i < files.Count; i++)
        {
            var (name, sha) = files[i];
            var path = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await CopyBlobAsync(sha, path, ct);
            if (sha == model.BlobSha256) context.ModelPath = path;
            await context.Reporter.ProgressAsync((i + 1.0) / (files.Count + 2), ct);
        }
        await context.Reporter.LogAsync("info", $"Loaded {files.Count} file(s), {model.SizeBytes} bytes of model, hashes verified.", ct);

        var db = context.Services.GetRequiredService<QaasDbContext>();
        context.Calibration = await LoadDatasetAsync(db, context, context.Job.CalibrationDatasetId, "calibration", ct);
        await context.Reporter.ProgressAsync((files.Count + 1.0) / (files.Count + 2), ct);
        context.Evaluation = await LoadDatasetAsync(db, context, context.Job.EvaluationDatasetId, "evaluation", ct);
        await context.Reporter.ProgressAsync(1, ct);
    }

    private async Task<JobDataset?> LoadDatasetAsync(QaasDbContext db, JobContext context, Guid? id, string role, CancellationToken ct)
    {
        if (id is not { } datasetId) return null;
        var record = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == datasetId, ct)
            ?? throw new Jobs.InputGoneException($"The {role} dataset {datasetId} was deleted before the job ran.");
        var path = Path.Combine(context.WorkDirectory, $"{role}.dataset");
        await CopyBlobAsync(record.BlobSha256, path, ct);
        await context.Reporter.LogAsync("info", $"Loaded {role} dataset '{record.Name}' ({record.Samples} samples).", ct);
        return new JobDataset(path, record.BlobSha256, record.Samples);
    }

    private async Task CopyBlobAsync(string sha, string path, CancellationToken ct)
    {
        await using var source = await blobs.OpenReadAsync(sha, 0, ct) ?? throw new InvalidOperationException($"Blob {sha} is missing.");
        await using var target = File.Create(path);
        await source.CopyToAsync(target, 1 << 20, ct);
    }
}
