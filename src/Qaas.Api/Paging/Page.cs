namespace Qaas.Api.Paging;

/// <summary>A page of a list: `{ "items": [...], "next": cursor|null }`.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);
