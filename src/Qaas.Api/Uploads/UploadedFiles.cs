using Qaas.Storage.Blobs;

namespace Qaas.Api.Uploads;

/// <summary>
/// An upload spooled to a private temp folder (relative name -> file). Files that were also streamed into the blob
/// store while they arrived have an open <see cref="BlobWriter"/>; disposing rolls back every writer nobody completed
/// and deletes the folder.
/// </summary>
public sealed class UploadedFiles(string directory) : IAsyncDisposable
{
    private readonly Dictionary<string, BlobWriter> _staged = new(StringComparer.Ordinal);

    public string Directory { get; } = directory;
    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);
    public long TotalBytes { get; set; }

    public string PathOf(string name) => Files[name];

    internal void Stage(string name, BlobWriter writer) => _staged[name] = writer;

    internal async Task UnstageAsync(string name)
    {
        if (_staged.Remove(name, out var writer)) await writer.DisposeAsync();
    }

    /// <summary>Stores the file in the blob store: completes the copy written while it arrived, or writes it now.</summary>
    public async Task<BlobInfo> StoreAsync(string name, BlobStore blobs, CancellationToken ct)
    {
        if (_staged.Remove(name, out var writer))
            await using (writer)
                return await writer.CompleteAsync(ct);
        await using var s = File.OpenRead(PathOf(name));
        return await blobs.PutAsync(s, long.MaxValue, ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _staged.Values) await writer.DisposeAsync();
        _staged.Clear();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
