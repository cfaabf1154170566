using Microsoft.EntityFrameworkCore;
using Qaas.Storage.Entities;

namespace Qaas.Api.Paging;

/// <summary>One page of a list, newest first (DESIGN.md: limit and cursor in; items and next out).</summary>
public static class KeysetPage
{
    public static async Task<Page<TItem>> ReadAsync<TRow, TItem>(IQueryable<TRow> rows, int? limit, string? cursor,
        Func<TRow, TItem> item, CancellationToken ct) where TRow : class, IKeysetRow
    {
        var take = Cursor.Limit(limit);
        if (Cursor.Decode(cursor) is { } c)
            rows = rows.Where(r => r.CreatedAt < c.CreatedAt || (r.CreatedAt == c.CreatedAt && r.Id.CompareTo(c.Id) < 0));
        var page = await rows.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(take + 1).ToListAsync(ct);
        var next = page.Count > take ? new Cursor(page[take - 1].CreatedAt, page[take - 1].Id).Encode() : null;
        return new Page<TItem>(page.Take(take).Select(item).ToList(), next);
    }
}
