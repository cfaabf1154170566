using Qaas.Api.Hosting;

namespace Qaas.Api.Jobs;

/// <summary>Where a job's scratch folder lives: $QAAS_DATA_DIR/work/job-&lt;id&gt;.</summary>
public static class JobFolders
{
    private const string Prefix = "job-";

    public static string Root(IConfiguration configuration) => Path.Combine(DataDirectory.Resolve(configuration), "work");

    public static string Of(IConfiguration configuration, Guid jobId) => Path.Combine(Root(configuration), Prefix + jobId.ToString("N"));

    /// <summary>The job folders under <see cref="Root"/>, by job id (other entries are not the service's).</summary>
    public static Dictionary<Guid, string> All(IConfiguration configuration)
    {
        var root = Root(configuration);
        var folders = new Dictionary<Guid, string>();
        if (!Directory.Exists(root)) return folders;
        foreach (var folder in Directory.GetDirectories(root, Prefix + "*"))
            if (Guid.TryParseExact(Path.GetFileName(folder)[Prefix.Length..], "N", out var id))
                folders[id] = folder;
        return folders;
    }
}
