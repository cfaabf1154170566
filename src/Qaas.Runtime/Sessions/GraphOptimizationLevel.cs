namespace Qaas.Runtime.Sessions;

/// <summary>GraphOptimizationLevel from onnxruntime_c_api.h.</summary>
public enum GraphOptimizationLevel
{
    DisableAll = 0,
    Basic = 1,
    Extended = 2,
    Layout = 3,
    All = 99,
}
