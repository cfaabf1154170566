using Serilog;
using Serilog.Formatting.Compact;

namespace Qaas.Api.Hosting;

/// <summary>Serilog console logging; QAAS_LOG_FORMAT=json switches to compact JSON lines.</summary>
public static class Logging
{
    public static Serilog.ILogger Create(IConfiguration config)
    {
        var json = string.Equals(config["QAAS_LOG_FORMAT"] ?? Environment.GetEnvironmentVariable("QAAS_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase);
        var lc = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", Serilog.Events.LogEventLevel.Warning)
            // EF Core logs a failed SaveChanges at Error before the exception reaches the problem handler, which answers
            // the client's own faults (a duplicate name, a NUL character) with a 4xx and logs real failures itself.
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore.Update", Serilog.Events.LogEventLevel.Fatal)
            .MinimumLevel.Override("Quartz", Serilog.Events.LogEventLevel.Warning)
            .Enrich.FromLogContext();
        lc = json
            ? lc.WriteTo.Console(new CompactJsonFormatter())
            : lc.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}");
        return lc.CreateLogger();
    }
}
