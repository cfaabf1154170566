using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Qaas.Storage.Entities;

namespace Qaas.Api.Auth;

/// <summary>
/// Drops the <see cref="ApiKeyCache"/> whenever a SaveChanges on this node modifies or deletes an API key (revocation,
/// role change, bootstrap un-revoke): before the write, and again after it commits, so no request can re-cache the old state.
/// </summary>
public sealed class ApiKeyChangeInterceptor(ApiKeyCache cache) : SaveChangesInterceptor
{
    private readonly ConditionalWeakTable<DbContext, object> _pending = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Before(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        Before(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        After(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken ct = default)
    {
        After(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => After(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken ct = default)
    {
        After(eventData.Context);
        return Task.CompletedTask;
    }

    private void Before(DbContext? context)
    {
        if (context is null) return;
        var touchesKeys = context.ChangeTracker.Entries<ApiKey>().Any(e => e.State is EntityState.Modified or EntityState.Deleted);
        if (!touchesKeys) return;
        _pending.AddOrUpdate(context, this);
        cache.InvalidateAll();
    }

    private void After(DbContext? context)
    {
        if (context is not null && _pending.Remove(context)) cache.InvalidateAll();
    }
}
