namespace Qaas.Storage.Blobs;

/// <summary>A stored blob: its content address and length.</summary>
public sealed record BlobInfo(string Sha256, long SizeBytes);
