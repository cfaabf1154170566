namespace Qaas.Onnx.Io;

/// <summary>Normalises relative file names from models and uploads, refusing ones that could leave their folder.</summary>
public static class SafeRelativePath
{
    public static bool IsRooted(string path) =>
        path.StartsWith('/') || path.StartsWith('\\') || Path.IsPathRooted(path)
        || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':');

    /// <summary>"./a//b\c" -> "a/b/c"; null when the name is rooted, has '..', control characters or is empty.</summary>
    public static string? Normalize(string path)
    {
        if (string.IsNullOrEmpty(path) || IsRooted(path)) return null;
        foreach (var c in path)
            if (char.IsControl(c)) return null;
        var parts = new List<string>();
        foreach (var part in path.Split('/', '\\'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..") return null;
            parts.Add(part);
        }
        return parts.Count == 0 ? null : string.Join('/', parts);
    }
}
