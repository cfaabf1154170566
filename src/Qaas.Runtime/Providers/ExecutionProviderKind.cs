namespace Qaas.Runtime.Providers;

/// <summary>Where a session runs. Reports print it as "cpu" / "cuda" (<see cref="ExecutionProviderNames"/>).</summary>
public enum ExecutionProviderKind
{
    Cpu,
    Cuda,
}
