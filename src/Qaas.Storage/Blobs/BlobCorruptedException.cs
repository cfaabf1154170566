namespace Qaas.Storage.Blobs;

/// <summary>The bytes read back do not hash to the blob's address.</summary>
public sealed class BlobCorruptedException(string sha256)
    : IOException($"Blob {sha256} failed its SHA-256 check on read.");
