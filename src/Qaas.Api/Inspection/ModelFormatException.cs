namespace Qaas.Api.Inspection;

/// <summary>The uploaded bytes are not a usable ONNX model (answered with 400 and this message).</summary>
public sealed class ModelFormatException(string message, Exception? inner = null) : Exception(message, inner);
