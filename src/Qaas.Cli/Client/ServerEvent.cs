namespace Qaas.Cli.Client;

/// <summary>One server-sent event from /v1/jobs/{id}/events.</summary>
public sealed record ServerEvent(string? Id, string Type, string Data);
