namespace Qaas.Quantization.Recipes;

/// <summary>The words a recipe may use, and the subset this build can execute.</summary>
public static class RecipeVocabulary
{
    public static readonly string[] WeightTypes =
        ["int8", "uint8", "int4", "uint4", "int3", "int2", "fp8e4m3fn", "fp8e5m2", "fp4e2m1", "nf4", "fp16", "bf16"];
    public static readonly string[] ActivationTypes =
        ["none", "uint8", "int8", "int16", "fp8e4m3fn", "fp8e5m2", "fp16", "bf16", "dynamic"];
    public static readonly string[] Granularities = ["per-tensor", "per-channel", "per-group"];
    public static readonly int[] GroupSizes = [16, 32, 64, 128, 256];
    public static readonly string[] WeightAlgorithms = ["rtn", "gptq", "awq", "adaround"];
    public static readonly string[] CalibrationMethods = ["minmax", "percentile", "entropy", "mse"];
    public static readonly string[] Formats = ["qdq", "qoperator", "matmulnbits"];
    public static readonly string[] PrefillPaths = ["none", "int8", "auto"];
    public static readonly string[] Transforms =
        ["fold-batchnorm", "cross-layer-equalization", "bias-correction", "smoothquant"];
    public static readonly string[] ExecutionProviders = ["cpu", "cuda"];
}
