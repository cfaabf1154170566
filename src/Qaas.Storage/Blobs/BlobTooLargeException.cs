namespace Qaas.Storage.Blobs;

/// <summary>The upload exceeded the configured size limit; nothing was stored.</summary>
public sealed class BlobTooLargeException(long limitBytes)
    : Exception($"The upload exceeds the limit of {limitBytes} bytes.")
{
    public long LimitBytes { get; } = limitBytes;
}
