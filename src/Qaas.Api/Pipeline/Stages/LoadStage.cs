using Qaas.Storage.Blobs;

namespace Qaas.Api.Pipeline.Stages;

/// <summary>Materialises the model (and its external data files) from the blob store into the work folder; the read verifies every SHA-256.</summary>
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
            await using (var source = await blobs.OpenReadAsync(sha, 0, ct) ?? throw new InvalidOperationException($"Blob {sha} of {name} is missing."))
            await using (var target = File.Create(path))
                await source.CopyToAsync(target, 1 << 20, ct);
            if (sha == model.BlobSha256) context.ModelPath = path;
            await context.Reporter.ProgressAsync((i + 1.0) / files.Count, ct);
        }
        await context.Reporter.LogAsync("info", $"Loaded {files.Count} file(s), {model.SizeBytes} bytes of model, hashes verified.", ct);
    }
}
