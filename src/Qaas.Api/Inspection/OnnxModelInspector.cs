using Qaas.Onnx.Io;
using Qaas.Onnx.Summary;

namespace Qaas.Api.Inspection;

/// <summary>Loads and validates the model structure with Qaas.Onnx (inline payloads skipped, external data checked, not read) and summarises it.</summary>
public sealed class OnnxModelInspector : IModelInspector
{
    public Task<ModelSummary> InspectAsync(string onnxPath, CancellationToken ct) =>
        Task.Run(() => Named(ModelSummary.Of(OnnxModel.LoadStructure(onnxPath))), ct); // inline weights are skipped, never held

    public ModelSummary Inspect(Stream model) => Named(ModelSummary.Of(OnnxModel.LoadStructure(model)));

    /// <summary>The default domain is "" in the file; API clients read it better under its name.</summary>
    private static ModelSummary Named(ModelSummary summary) =>
        summary with { Opsets = summary.Opsets.ToDictionary(o => o.Key.Length == 0 ? "ai.onnx" : o.Key, o => o.Value) };
}
