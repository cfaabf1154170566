using Qaas.Runtime.Providers;

namespace Qaas.Runtime.Sessions;

/// <summary>How to build a session. Zero thread counts leave ORT's defaults (one thread per physical core).</summary>
public sealed record InferenceSessionOptions
{
    public int IntraOpThreads { get; init; }

    public int InterOpThreads { get; init; }

    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.All;

    /// <summary>Whether idle intra-op threads spin; turn off when several sessions share cores (latency measurement).
    /// Null leaves ORT's default (spinning on).</summary>
    public bool? AllowSpinning { get; init; }

    /// <summary>Requested provider. CUDA falls back to CPU when it cannot be loaded; the session says which it got.</summary>
    public ExecutionProviderKind ExecutionProvider { get; init; } = ExecutionProviderKind.Cpu;

    public int CudaDeviceId { get; init; }

    /// <summary>Folder holding the model's external data files (*.onnx.data). A model created from bytes has no folder of
    /// its own, so ORT needs this to resolve external initializers; null for self-contained models.</summary>
    public string? ExternalDataDirectory { get; init; }

    /// <summary>Extra session configuration entries (AddSessionConfigEntry keys such as "session.intra_op.allow_spinning").</summary>
    public IReadOnlyDictionary<string, string> ConfigEntries { get; init; } = new Dictionary<string, string>();

    /// <summary>Severity from which this session's ORT log lines reach <see cref="OrtEnvironment.Logger"/>; null keeps
    /// the environment's <see cref="OrtEnvironment.MinimumLevel"/>.</summary>
    public OrtLoggingLevel? LogSeverity { get; init; }

    /// <summary>When set, ORT records every node's run time as Chrome-trace JSON into "{prefix}_{date}.json", written
    /// when the session is disposed (per-operator timing for benchmarks; off by default because it costs time).</summary>
    public string? ProfileFilePrefix { get; init; }

    /// <summary>Name ORT puts in its log lines for this session.</summary>
    public string? LogId { get; init; }
}
