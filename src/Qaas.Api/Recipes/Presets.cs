namespace Qaas.Api.Recipes;

/// <summary>Named recipes and their full expansion (GET /v1/presets).</summary>
public static class Presets
{
    public static readonly IReadOnlyDictionary<string, Recipe> All = new Dictionary<string, Recipe>
    {
        ["fp16"] = new() { Preset = "fp16", Weights = new() { Type = "fp16", Granularity = "per-tensor", Algorithm = "rtn" }, Activations = new() { Type = "fp16" }, Format = "qdq" },
        ["int8-dynamic"] = new() { Preset = "int8-dynamic", Weights = new() { Type = "int8", Granularity = "per-channel", Symmetric = true, Algorithm = "rtn" }, Activations = new() { Type = "dynamic" }, Format = "qoperator" },
        ["int8-static"] = new() { Preset = "int8-static", Weights = new() { Type = "int8", Granularity = "per-channel", Symmetric = true, Algorithm = "rtn" }, Activations = new() { Type = "uint8", Calibration = "minmax", Symmetric = false }, Format = "qdq" },
        ["int8-static-entropy"] = new() { Preset = "int8-static-entropy", Weights = new() { Type = "int8", Granularity = "per-channel", Symmetric = true, Algorithm = "rtn" }, Activations = new() { Type = "uint8", Calibration = "entropy", Symmetric = false }, Format = "qdq" },
        ["w4-rtn"] = new() { Preset = "w4-rtn", Weights = new() { Type = "int4", Granularity = "per-group", GroupSize = 128, Symmetric = true, Algorithm = "rtn" }, Activations = new() { Type = "none" }, Format = "matmulnbits" },
        ["fp8-e4m3"] = new() { Preset = "fp8-e4m3", Weights = new() { Type = "fp8e4m3fn", Granularity = "per-tensor", Algorithm = "rtn" }, Activations = new() { Type = "fp8e4m3fn", Calibration = "minmax" }, Format = "qdq" },
    };
}
