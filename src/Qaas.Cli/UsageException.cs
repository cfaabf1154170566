namespace Qaas.Cli;

/// <summary>A bad command line (exit code 3).</summary>
public sealed class UsageException(string message) : Exception(message);
