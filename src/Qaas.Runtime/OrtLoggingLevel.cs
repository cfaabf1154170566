namespace Qaas.Runtime;

/// <summary>OrtLoggingLevel from onnxruntime_c_api.h.</summary>
public enum OrtLoggingLevel
{
    Verbose = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    Fatal = 4,
}
