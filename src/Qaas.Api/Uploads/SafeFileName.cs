using Qaas.Api.Problems;

namespace Qaas.Api.Uploads;

/// <summary>Relative file names from clients and archives: no rooted paths, no "..", no control characters.</summary>
public static class SafeFileName
{
    public static string Check(string? name, string field)
    {
        var n = (name ?? "").Replace('\\', '/').Trim().Trim('"');
        if (n.Length == 0 || n.Length > 255 || n.StartsWith('/') || n.Split('/').Any(p => p is "" or "." or "..") || n.Any(char.IsControl))
            throw ApiProblemException.Field(field, $"'{name}' is not an acceptable relative file name.");
        return n;
    }
}
