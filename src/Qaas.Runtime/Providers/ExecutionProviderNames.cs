namespace Qaas.Runtime.Providers;

/// <summary>The short names recipes and reports use for execution providers.</summary>
public static class ExecutionProviderNames
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    public static string ToName(this ExecutionProviderKind kind) => kind switch
    {
        ExecutionProviderKind.Cuda => Cuda,
        _ => Cpu,
    };

    public static ExecutionProviderKind Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        Cpu => ExecutionProviderKind.Cpu,
        Cuda or "gpu" => ExecutionProviderKind.Cuda,
        _ => throw new ArgumentException($"Unknown execution provider '{name}'; expected '{Cpu}' or '{Cuda}'.", nameof(name)),
    };
}
