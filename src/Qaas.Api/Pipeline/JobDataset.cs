namespace Qaas.Api.Pipeline;

/// <summary>A dataset the load stage put into the job's work folder.</summary>
public sealed record JobDataset(string Path, string Sha256, int Samples);
