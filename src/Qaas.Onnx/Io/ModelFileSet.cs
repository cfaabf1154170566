namespace Qaas.Onnx.Io;

/// <summary>
/// The files that make up one model: the .onnx plus the external-data files it may reference.
/// Either a folder on disk (any regular file below it belongs to the set) or an explicit map of
/// relative names to paths (an upload: multipart parts or zip entries already written to disk).
/// </summary>
public sealed class ModelFileSet
{
    private readonly Dictionary<string, string>? _files;

    private ModelFileSet(string mainFile, string? root, Dictionary<string, string>? files)
    {
        MainFile = mainFile;
        Root = root;
        _files = files;
    }

    /// <summary>Full path of the .onnx file.</summary>
    public string MainFile { get; }

    /// <summary>Folder that bounds the set (folder mode); null for an explicit map.</summary>
    public string? Root { get; }

    /// <summary>Relative name -> full path, for an explicit map; null in folder mode.</summary>
    public IReadOnlyDictionary<string, string>? Files => _files;

    /// <summary>The model file and every file in its folder (and below it).</summary>
    public static ModelFileSet FromModelFile(string modelPath)
    {
        var full = Path.GetFullPath(modelPath);
        return new ModelFileSet(full, Path.GetDirectoryName(full)!, null);
    }

    /// <summary>
    /// An uploaded set: <paramref name="files"/> maps relative names ("model.onnx", "weights/a.bin") to paths on disk.
    /// <paramref name="mainName"/> names the model; when null the single *.onnx entry is taken.
    /// </summary>
    public static ModelFileSet FromFiles(IReadOnlyDictionary<string, string> files, string? mainName = null)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, path) in files)
        {
            var key = SafeRelativePath.Normalize(name)
                ?? throw new OnnxFormatException($"file name '{name}' in the uploaded set is not a safe relative path");
            if (!map.TryAdd(key, Path.GetFullPath(path)))
                throw new OnnxFormatException($"file name '{name}' appears twice in the uploaded set");
        }
        if (mainName is null)
        {
            var onnx = map.Keys.Where(k => k.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)).ToList();
            if (onnx.Count != 1)
                throw new OnnxFormatException(onnx.Count == 0
                    ? "the uploaded set contains no .onnx file"
                    : $"the uploaded set contains {onnx.Count} .onnx files ({string.Join(", ", onnx)}); name the model file");
            mainName = onnx[0];
        }
        var mainKey = SafeRelativePath.Normalize(mainName) ?? mainName;
        if (!map.TryGetValue(mainKey, out var main))
            throw new OnnxFormatException($"model file '{mainName}' is not part of the uploaded set");
        return new ModelFileSet(main, null, map);
    }

    /// <summary>
    /// Maps an external-data location to a file of this set, refusing anything that could leave it:
    /// absolute paths, '..', names outside the set, symbolic links. Reads no data.
    /// </summary>
    public string Resolve(string location, string tensorName)
    {
        string Fail(string why) => throw new OnnxFormatException(
            $"external data location '{location}' of tensor '{tensorName}' {why}");

        if (string.IsNullOrEmpty(location)) Fail("is empty");
        if (SafeRelativePath.IsRooted(location)) Fail("is an absolute path");
        var rel = SafeRelativePath.Normalize(location);
        if (rel is null) Fail("escapes the model's folder (contains '..' or an invalid character)");

        string path;
        if (_files is not null)
        {
            if (!_files.TryGetValue(rel!, out path!)) Fail("is not part of the model's file set");
            CheckNoLink(path, stopAt: Path.GetDirectoryName(MainFile), location, tensorName);
        }
        else
        {
            var root = Root!;
            path = Path.GetFullPath(Path.Combine(root, rel!));
            if (!path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                Fail("escapes the model's folder");
            CheckNoLink(path, stopAt: root, location, tensorName);
        }
        if (!File.Exists(path)) Fail("names a file that does not exist in the model's file set");
        return path;
    }

    /// <summary>A link could point anywhere (/etc/shadow); refuse the file and every folder up to the set's root.</summary>
    private static void CheckNoLink(string path, string? stopAt, string location, string tensorName)
    {
        FileSystemInfo? info = new FileInfo(path);
        var stop = stopAt is null ? null : Path.GetFullPath(stopAt).TrimEnd(Path.DirectorySeparatorChar);
        while (info is not null)
        {
            var full = info.FullName.TrimEnd(Path.DirectorySeparatorChar);
            if (full == stop) break; // the set's own folder may be reached through a link; only what is inside it counts
            if (info.LinkTarget is not null)
                throw new OnnxFormatException(
                    $"external data location '{location}' of tensor '{tensorName}' goes through a symbolic link ('{info.FullName}')");
            if (stop is null || !full.StartsWith(stop + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                break;
            info = info is FileInfo f ? f.Directory : ((DirectoryInfo)info).Parent;
        }
    }
}
