namespace Qaas.Storage.Embedded;

/// <summary>Finds the machine's PostgreSQL server binaries (initdb, pg_ctl, postgres).</summary>
public static class PostgresBinaries
{
    public static string Locate(string? overrideDirectory = null)
    {
        if (!string.IsNullOrEmpty(overrideDirectory))
        {
            return File.Exists(Path.Combine(overrideDirectory, "initdb"))
                ? overrideDirectory
                : throw new InvalidOperationException($"No initdb in {overrideDirectory}.");
        }
        const string root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var newest = Directory.GetDirectories(root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: ParseVersion(Path.GetFileName(d))))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault();
            if (newest is not null) return newest;
        }
        throw new InvalidOperationException(
            "No PostgreSQL server binaries found under /usr/lib/postgresql/*/bin; install postgresql or set ConnectionStrings:Qaas.");
    }

    private static double ParseVersion(string name) =>
        double.TryParse(name, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;
}
