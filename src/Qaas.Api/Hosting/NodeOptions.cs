namespace Qaas.Api.Hosting;

/// <summary>What this process does: serve the API, run jobs, or both; and which worker pool it serves.</summary>
public sealed record NodeOptions(string Role, string Pool)
{
    public static readonly string[] Roles = ["api", "worker", "all"];
    public static readonly string[] Pools = ["cpu", "gpu"];

    public bool RunsApi => Role is "api" or "all";
    public bool RunsWorker => Role is "worker" or "all";

    /// <summary>Reads --role / --pool (command line or configuration keys `role`, `pool`).</summary>
    public static NodeOptions From(IConfiguration config)
    {
        var role = (config["role"] ?? "all").ToLowerInvariant();
        var pool = (config["pool"] ?? "cpu").ToLowerInvariant();
        if (!Roles.Contains(role)) throw new ArgumentException($"--role must be one of {string.Join('|', Roles)}, not '{role}'.");
        if (!Pools.Contains(pool)) throw new ArgumentException($"--pool must be one of {string.Join('|', Pools)}, not '{pool}'.");
        return new NodeOptions(role, pool);
    }
}
