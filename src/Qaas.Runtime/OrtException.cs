namespace Qaas.Runtime;

/// <summary>An ONNX Runtime call returned a non-null OrtStatus.</summary>
public sealed class OrtException(OrtErrorCode errorCode, string message)
    : Exception($"[{errorCode}] {message}")
{
    public OrtErrorCode ErrorCode { get; } = errorCode;

    /// <summary>The runtime's message without the error-code prefix.</summary>
    public string OrtMessage { get; } = message;
}
