namespace Qaas.Quantization.Formats;

/// <summary>
/// A weight, constant or measured range holds NaN or infinity where quantization needs finite numbers: the model's
/// problem (a job reports it as unprocessable), not a failure of the quantizer.
/// </summary>
public sealed class NonFiniteValueException(string message, string? paramName = null) : ArgumentException(message, paramName);
