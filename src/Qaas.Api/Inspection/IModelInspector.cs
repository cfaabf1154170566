using Qaas.Onnx.Summary;

namespace Qaas.Api.Inspection;

/// <summary>
/// Reads an ONNX model file (its external data files, if any, lie beside it in the same folder) and describes it.
/// Throws <see cref="Qaas.Onnx.Io.OnnxFormatException"/> for anything that is not a valid model.
/// </summary>
public interface IModelInspector
{
    Task<ModelSummary> InspectAsync(string onnxPath, CancellationToken ct);

    /// <summary>Describes a single-file model read forward-only from <paramref name="model"/> (it cannot reference external data).</summary>
    ModelSummary Inspect(Stream model);
}
