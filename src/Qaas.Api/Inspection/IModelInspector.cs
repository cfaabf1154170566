namespace Qaas.Api.Inspection;

/// <summary>
/// Reads an ONNX model file (its external data files, if any, lie beside it in the same folder) and describes it.
/// Throws <see cref="ModelFormatException"/> for anything that is not a valid model.
/// </summary>
public interface IModelInspector
{
    Task<ModelDescription> InspectAsync(string onnxPath, CancellationToken ct);
}
