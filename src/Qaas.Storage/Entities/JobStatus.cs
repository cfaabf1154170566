namespace Qaas.Storage.Entities;

public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly string[] All = [Queued, Running, Succeeded, Failed, Cancelled];
    public static bool IsEnded(string status) => status is Succeeded or Failed or Cancelled;
}
