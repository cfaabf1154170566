namespace Qaas.Quantization.Evaluation;

/// <summary>A model input whose shape cannot be decided (a symbolic dimension nobody gave, or a given shape that
/// contradicts the model). The API maps it to 400; <see cref="InputName"/> says which input.</summary>
public sealed class InputShapeException(string inputName, string message) : Exception(message)
{
    public string InputName { get; } = inputName;
}
