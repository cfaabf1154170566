using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Reports;
using Qaas.Onnx.Summary;
using Qaas.Api.Inspection;
using Qaas.Quantization.Recipes;
using Qaas.Storage.Entities;

namespace Qaas.Api.Pipeline;

/// <summary>What the stages of one job run share: inputs, a private work folder, the report being built, and the way to talk back.</summary>
public sealed class JobContext(JobRecord job, ModelRecord model, Recipe recipe, string workDirectory, IJobReporter reporter, IServiceProvider services)
{
    public JobRecord Job { get; } = job;
    public ModelRecord Model { get; } = model;
    public Recipe Recipe { get; } = recipe;
    /// <summary>Deleted when the job ends; stages keep intermediate files here.</summary>
    public string WorkDirectory { get; } = workDirectory;
    public IJobReporter Reporter { get; } = reporter;
    public IServiceProvider Services { get; } = services;
    /// <summary>True when this run is a re-run after its first node died.</summary>
    public bool Recovering { get; init; }

    /// <summary>Set by the load stage: the original model (and its external data files beside it).</summary>
    public string? ModelPath { get; set; }
    /// <summary>Set by the load stage when the job names datasets.</summary>
    public JobDataset? Calibration { get; set; }
    public JobDataset? Evaluation { get; set; }
    /// <summary>Set by the analyze stage.</summary>
    public ModelSummary? Original { get; set; }
    /// <summary>Set by the quantize stage: the quantized model as written to the work folder.</summary>
    public QuantizedModel? Quantized { get; set; }
    public string? QuantizedPath { get; set; }
    /// <summary>Set by the evaluate stage.</summary>
    public Dictionary<string, OutputFidelity> Fidelity { get; } = new(StringComparer.Ordinal);
    public LatencyReport? Latency { get; set; }

    /// <summary>How long each finished stage took, for the report.</summary>
    public List<StageTiming> StageTimings { get; } = [];
    /// <summary>The job's metrics summary (compressionRatio, speedup, minSqnrDb, passed, ...); numeric entries also go to job_metrics.</summary>
    public Dictionary<string, object?> Metrics { get; } = new(StringComparer.Ordinal);
    /// <summary>Files to publish as artifacts when the job succeeds: name -> (path, content type).</summary>
    public Dictionary<string, (string Path, string ContentType)> Artifacts { get; } = new(StringComparer.Ordinal);
    /// <summary>Warnings for the report (synthetic calibration data, simulated formats, ...).</summary>
    public List<string> Warnings { get; } = [];
}
