namespace Qaas.Quantization.Recipes;

/// <summary>Named recipes. Each is a complete recipe; a user's recipe fields override the preset's.</summary>
public static class Presets
{
    // No execution provider: a job runs on its worker pool's (CUDA on the gpu pool, the CPU elsewhere).
    static readonly EvaluationSpec DefaultEvaluation = new() { Latency = true, Repeats = 20, Threads = 1 };
    // Every op ONNX Runtime fuses into an integer kernel, so that consecutive quantized ops share one Q/DQ pair.
    static readonly NodeSelection DefaultNodes = new() { Include = new NodeFilter { OpTypes = Static.QdqOps.All } };

    public static readonly IReadOnlyDictionary<string, Recipe> All = new Dictionary<string, Recipe>
    {
        ["int8-static"] = new()
        {
            Preset = "int8-static",
            Weights = new() { Type = "int8", Granularity = "per-channel", Symmetric = true, Algorithm = "rtn" },
            Activations = new() { Type = "uint8", Calibration = "mse", Symmetric = false },
            Format = "qdq", Transforms = ["fold-batchnorm"], Seed = 0, Nodes = DefaultNodes, Evaluation = DefaultEvaluation,
        },
        ["int8-static-entropy"] = new()
        {
            Preset = "int8-static-entropy",
            Weights = new() { Type = "int8", Granularity = "per-channel", Symmetric = true, Algorithm = "rtn" },
            Activations = new() { Type = "uint8", Calibration = "entropy", Symmetric = false },
            Format = "qdq", Transforms = ["fold-batchnorm"], Seed = 0, Nodes = DefaultNodes, Evaluation = DefaultEvaluation,
        },
        ["int8-dynamic"] = new()
        {
            Preset = "int8-dynamic",
            Weights = new() { Type = "int8", Granularity = "per-channel", Symmetric = true, Algorithm = "rtn" },
            Activations = new() { Type = "dynamic" },
            Format = "qoperator", Transforms = [], Seed = 0,
            Nodes = new() { Include = new NodeFilter { OpTypes = ["MatMul", "Gemm"] } }, Evaluation = DefaultEvaluation,
        },
        ["w4-rtn"] = W4("w4-rtn", "rtn"),
        // The same weights, rounded with calibration: GPTQ's error feedback, or AWQ's activation-aware scales.
        ["w4-gptq"] = W4("w4-gptq", "gptq"),
        ["w4-awq"] = W4("w4-awq", "awq"),
        // int4 where the output barely notices, int8 where it does: MatMul weights within 0.2x of their fp32 bytes
        // (all int4 takes ~0.13x, all int8 ~0.25x at blocks of 256).
        ["mixed-size"] = W4("mixed-size", "rtn") with
        {
            MixedPrecision = new() { Candidates = ["int4", "int8"], Objective = "size", Budget = new() { SizeRatio = 0.2 } },
        },
        // The same choice against time: a run on the first calibration sample within 0.3x fp32's (all int4 runs a
        // one-token step of the 67M test transformer at ~0.23x, all int8 at ~0.31x).
        ["mixed-latency"] = W4("mixed-latency", "rtn") with
        {
            MixedPrecision = new() { Candidates = ["int4", "int8"], Objective = "latency", Budget = new() { LatencyRatio = 0.3 } },
        },
        ["fp16"] = new()
        {
            Preset = "fp16",
            Weights = new() { Type = "fp16" },
            Activations = new() { Type = "fp16" },
            Transforms = [], Seed = 0, Evaluation = DefaultEvaluation,
        },
        ["fp8-e4m3"] = new()
        {
            Preset = "fp8-e4m3",
            Weights = new() { Type = "fp8e4m3fn", Granularity = "per-tensor", Symmetric = true, Algorithm = "rtn" },
            Activations = new() { Type = "fp8e4m3fn", Calibration = "minmax", Symmetric = true },
            Format = "qdq", Transforms = [], Seed = 0, Nodes = DefaultNodes, Evaluation = DefaultEvaluation,
        },
    };

    // Blocks of 256: ORT's int8-activation MatMulNBits kernels run fastest there (block 32 is slower than fp32 at
    // 128 tokens); MatMulNBitsQuantizer's clip search and a block-32 vocabulary head keep the output close (bench/README.md).
    // Prefill "auto": ORT's MatMulNBits barely beats fp32 at many rows, so a prompt takes an int8 path whose weights
    // ORT derives at load, as long as they stay small (PrefillBranch.AutoBudgetBytes).
    static Recipe W4(string name, string algorithm) => new()
    {
        Preset = name,
        Weights = new() { Type = "int4", Granularity = "per-group", GroupSize = 256, Symmetric = true, Algorithm = algorithm },
        Activations = new() { Type = "none" },
        Format = "matmulnbits", Prefill = "auto", Transforms = [], Seed = 0,
        Nodes = new() { Include = new NodeFilter { OpTypes = ["MatMul"] } }, Evaluation = DefaultEvaluation,
    };
}
