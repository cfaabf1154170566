namespace Qaas.Cli;

/// <summary>Process exit codes CI scripts branch on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int GateFailed = 1;
    public const int JobFailed = 2;
    public const int UsageOrApiError = 3;
    /// <summary>--timeout passed before the job ended (the job goes on).</summary>
    public const int TimedOut = 4;
}
