namespace Qaas.Onnx.Io;

/// <summary>The one error type for a model that cannot be accepted: the message names exactly what is wrong.</summary>
public sealed class OnnxFormatException : Exception
{
    public OnnxFormatException(string message) : base(message) { }

    public OnnxFormatException(string message, Exception inner) : base(message, inner) { }
}
