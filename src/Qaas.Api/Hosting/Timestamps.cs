namespace Qaas.Api.Hosting;

/// <summary>Now, at PostgreSQL's microsecond precision, so cursors built from a fresh record match the stored one.</summary>
public static class Timestamps
{
    public static DateTimeOffset Now()
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.UtcTicks - now.UtcTicks % 10, TimeSpan.Zero);
    }
}
