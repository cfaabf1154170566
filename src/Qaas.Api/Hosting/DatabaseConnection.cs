namespace Qaas.Api.Hosting;

/// <summary>The resolved connection string (configured or embedded), for components that open their own connections (Quartz).</summary>
public sealed record DatabaseConnection(string ConnectionString);
