namespace Qaas.Api.Uploads;

/// <summary>An upload spooled to a private temp folder (relative name -> file); deleting the folder on dispose.</summary>
public sealed class UploadedFiles(string directory) : IDisposable
{
    public string Directory { get; } = directory;
    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);
    public long TotalBytes { get; set; }

    public string PathOf(string name) => Files[name];

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
