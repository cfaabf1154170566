namespace Qaas.Api.Hosting;

/// <summary>The service's local folder ($QAAS_DATA_DIR, default ./.qaas-data): embedded PostgreSQL, generated API key.</summary>
public static class DataDirectory
{
    public static string Resolve(IConfiguration config) =>
        Path.GetFullPath(config["QAAS_DATA_DIR"] ?? Environment.GetEnvironmentVariable("QAAS_DATA_DIR") ?? ".qaas-data");
}
