using Npgsql;

namespace Qaas.Storage.Blobs;

/// <summary>
/// Where a blob's rows live: blob_chunks (keyed by blob id) for small blobs, or a table of its own for a large one
/// (see migration 0003). The own table's name is derived from the blob id, never read from data.
/// </summary>
internal readonly record struct BlobTable(long BlobId, bool Own)
{
    private string OwnName => $"blob_data.b{BlobId}";

    /// <summary>Creates the own table; must run in the transaction that then copies the rows in (COPY FREEZE, WAL skipping).</summary>
    public static async Task<BlobTable> CreateOwnAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long blobId, CancellationToken ct)
    {
        var table = new BlobTable(blobId, Own: true);
        // LIKE ... INCLUDING ALL copies the primary key and the inline (PLAIN) storage, so no TOAST table is made.
        await using var cmd = new NpgsqlCommand(
            $"CREATE TABLE {table.OwnName} (LIKE blob_data.template INCLUDING ALL); UPDATE blobs SET own_table = true WHERE id = {blobId}", conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
        return table;
    }

    public string CopyCommand => Own
        ? $"COPY {OwnName} (seq, data) FROM STDIN (FORMAT BINARY, FREEZE)"
        : "COPY blob_chunks (blob_id, seq, data) FROM STDIN (FORMAT BINARY)";

    /// <summary>At most @n rows from seq @s on, in order, as (seq, data). The LIMIT form keeps the plan an index scan
    /// even before the table has statistics: a fresh own table's range query was planned as a bitmap scan, a sort and
    /// JIT compilation, which took a 1 GiB download from ~290 to ~250 MB/s.</summary>
    public string RangeQuery => Own
        ? $"SELECT seq, data FROM {OwnName} WHERE seq >= @s ORDER BY seq LIMIT @n"
        : $"SELECT seq, data FROM blob_chunks WHERE blob_id = {BlobId} AND seq >= @s ORDER BY seq LIMIT @n";

    /// <summary>Frees the rows of a blob whose blobs row is being deleted (blob_chunks rows go by cascade).</summary>
    public async Task DropAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        if (!Own) return;
        await using var cmd = new NpgsqlCommand($"DROP TABLE IF EXISTS {OwnName}", conn, tx);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
