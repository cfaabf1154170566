using Qaas.Onnx.Proto;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Evaluation;

/// <summary>Reads the inputs to synthesize from a session's metadata or from the model's graph.</summary>
public static class SynthesisInputs
{
    /// <summary>The session's inputs; token vocabularies come from <paramref name="model"/> when given.</summary>
    public static IReadOnlyList<SynthesisInput> Of(InferenceSession session, ModelProto? model = null) =>
        session.Inputs.Select(i => new SynthesisInput(
            i.Name,
            i.ElementType,
            i.HasShape ? i.Shape.Select((d, k) => new SynthesisDim(d >= 0 ? d : null, i.SymbolicDimensions[k] ?? "")).ToList() : null)
        {
            Vocabulary = model is null || !IsInteger(i.ElementType) ? null : VocabularyInference.Of(model, i.Name),
        }).ToList();

    /// <summary>The graph's inputs that are not initializers (old exporters list weights as inputs too).</summary>
    public static IReadOnlyList<SynthesisInput> Of(ModelProto model)
    {
        var g = model.Graph;
        var initializers = new HashSet<string>(g.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        return g.Input.Where(i => !initializers.Contains(i.Name)).Select(i =>
        {
            var type = (TensorElementType)(i.Type?.TensorType?.ElemType ?? 0);
            var shape = i.Type?.TensorType?.Shape;
            var dims = shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0
                ? new SynthesisDim(d.DimValue, "")
                : new SynthesisDim(null, d.DimParam ?? "")).ToList();
            return new SynthesisInput(i.Name, type, dims)
            {
                Vocabulary = IsInteger(type) ? VocabularyInference.Of(model, i.Name) : null,
            };
        }).ToList();
    }

    private static bool IsInteger(TensorElementType t) => t is TensorElementType.Int64 or TensorElementType.Int32;
}
