using Qaas.Api.Hosting;

namespace Qaas.Api;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            var app = await QaasHost.BuildAsync(args);
            var embedded = app.Services.GetService<Qaas.Storage.Embedded.EmbeddedPostgres>();
            try
            {
                await app.RunAsync();
            }
            finally
            {
                // Also when start-up fails after the embedded server came up (hosted services never stopped).
                if (embedded is not null) await embedded.StopAsync();
            }
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException || e.Message.Contains("bind", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"Cannot listen where QAAS_URLS says: {e.Message}");
            return 1;
        }
        catch (Npgsql.NpgsqlException e) when (e.IsTransient || e.InnerException is System.Net.Sockets.SocketException)
        {
            // At start-up: the configured PostgreSQL is down or unreachable. A supervisor restarts the node.
            Console.Error.WriteLine($"Cannot reach the database (ConnectionStrings__Qaas): {e.Message}");
            return 1;
        }
    }
}
