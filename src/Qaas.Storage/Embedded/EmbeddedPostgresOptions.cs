namespace Qaas.Storage.Embedded;

/// <summary>Where and how to run the private PostgreSQL cluster.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>Folder that holds the cluster (the data directory is created beneath it).</summary>
    public required string DataRoot { get; init; }

    /// <summary>Overrides the PostgreSQL bin folder; default: newest /usr/lib/postgresql/*/bin.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Throwaway cluster (tests): the data folder is deleted once the server stops.</summary>
    public bool Temporary { get; init; }

    /// <summary>Database created once the server is up (null: none).</summary>
    public string? Database { get; init; } = "qaas";
}
