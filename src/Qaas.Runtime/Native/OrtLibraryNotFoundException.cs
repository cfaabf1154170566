namespace Qaas.Runtime.Native;

/// <summary>The ONNX Runtime shared library could not be found or is not a usable 1.30.x build.</summary>
public sealed class OrtLibraryNotFoundException(string message, Exception? inner = null)
    : Exception(message, inner);
