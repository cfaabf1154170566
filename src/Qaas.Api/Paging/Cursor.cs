using System.Buffers.Text;
using System.Text;
using Qaas.Api.Problems;

namespace Qaas.Api.Paging;

/// <summary>Keyset cursor over (created_at DESC, id DESC), opaque to clients.</summary>
public readonly record struct Cursor(DateTimeOffset CreatedAt, Guid Id)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{CreatedAt.UtcTicks}:{Id}"));

    public static Cursor? Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor)) return null;
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split(':');
            return new Cursor(new DateTimeOffset(long.Parse(parts[0]), TimeSpan.Zero), Guid.Parse(parts[1]));
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            throw ApiProblemException.Field("cursor", "is not a cursor this service issued.");
        }
    }

    public static int Limit(int? limit) => limit switch
    {
        null => DefaultLimit,
        < 1 or > MaxLimit => throw ApiProblemException.Field("limit", $"must be between 1 and {MaxLimit}."),
        _ => limit.Value,
    };
}
