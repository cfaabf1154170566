namespace Qaas.Quantization.Recipes;

/// <summary>Field-by-field checks of a resolved recipe: known words, consistent combinations, and what this build runs.</summary>
public static class RecipeValidator
{
    // Parts of the recipe language that later waves implement; asking for them now is a clear 400, not a silent no-op.
    static readonly string[] ImplementedTransforms = ["fold-batchnorm", "bias-correction", "cross-layer-equalization", "smoothquant"];
    // Transforms that the static QDQ quantizer applies (bias correction also needs its calibration data).
    static readonly string[] StaticTransforms = ["bias-correction", "cross-layer-equalization", "smoothquant"];

    public static Dictionary<string, string[]> Validate(Recipe r, string field)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string f, string m) { if (!errors.TryGetValue(f, out var l)) errors[f] = l = []; l.Add(m); }
        void OneOf<T>(string f, T? value, T[] allowed) where T : notnull
        {
            if (value is not null && Array.IndexOf(allowed, value) < 0)
                Add(f, $"'{value}' is not one of: {string.Join(", ", allowed)}");
        }

        var w = r.Weights;
        if (w is null) Add($"{field}.weights", "is required");
        else
        {
            OneOf($"{field}.weights.type", w.Type, RecipeVocabulary.WeightTypes);
            OneOf($"{field}.weights.granularity", w.Granularity, RecipeVocabulary.Granularities);
            OneOf($"{field}.weights.algorithm", w.Algorithm, RecipeVocabulary.WeightAlgorithms);
            if (w.Granularity == "per-group")
            {
                if (w.GroupSize is not { } g) Add($"{field}.weights.groupSize", "is required with granularity 'per-group'");
                else if (Array.IndexOf(RecipeVocabulary.GroupSizes, g) < 0)
                    Add($"{field}.weights.groupSize", $"{g} is not one of: {string.Join(", ", RecipeVocabulary.GroupSizes)}");
            }
        }

        var a = r.Activations;
        if (a is null) Add($"{field}.activations", "is required");
        else
        {
            OneOf($"{field}.activations.type", a.Type, RecipeVocabulary.ActivationTypes);
            OneOf($"{field}.activations.calibration", a.Calibration, RecipeVocabulary.CalibrationMethods);
            if (a.Percentile is { } p && (p <= 50 || p > 100))
                Add($"{field}.activations.percentile", $"{p} must be in (50, 100]");
        }

        OneOf($"{field}.format", r.Format, RecipeVocabulary.Formats);
        OneOf($"{field}.prefill", r.Prefill, RecipeVocabulary.PrefillPaths);
        if (r.Transforms is { } transforms)
            for (var i = 0; i < transforms.Count; i++)
            {
                var t = transforms[i];
                if (Array.IndexOf(RecipeVocabulary.Transforms, t) < 0)
                    Add($"{field}.transforms[{i}]", $"'{t}' is not one of: {string.Join(", ", RecipeVocabulary.Transforms)}");
                else if (Array.IndexOf(ImplementedTransforms, t) < 0)
                    Add($"{field}.transforms[{i}]", $"'{t}' is not available yet in this version");
            }

        if (r.MixedPrecision is { } mp)
            CheckMixedPrecision(r, mp, $"{field}.mixedPrecision", Add);

        if (r.Evaluation is { } e)
        {
            OneOf($"{field}.evaluation.executionProvider", e.ExecutionProvider, RecipeVocabulary.ExecutionProviders);
            if (e.Repeats is { } n && (n < 1 || n > 1000)) Add($"{field}.evaluation.repeats", $"{n} must be in 1..1000");
            if (e.Threads is { } t && (t < 1 || t > 256)) Add($"{field}.evaluation.threads", $"{t} must be in 1..256");
        }

        if (r.Acceptance is { } acc)
        {
            if (acc.MinCosine is { } c && (c < -1 || c > 1)) Add($"{field}.acceptance.minCosine", $"{c} must be in [-1, 1]");
            if (acc.MaxAccuracyDrop is { } d && (d < 0 || d > 1)) Add($"{field}.acceptance.maxAccuracyDrop", $"{d} must be in [0, 1]");
        }

        if (errors.Count == 0) CheckCombination(r, field, Add);
        return errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    // The size and latency objectives over MatMulNBits bit widths; the noise model assumes round-to-nearest weights.
    static void CheckMixedPrecision(Recipe r, MixedPrecisionSpec mp, string field, Action<string, string> add)
    {
        if (mp.Objective is not (null or "size" or "latency"))
            add($"{field}.objective", $"'{mp.Objective}' is not one of: size, latency");
        if (r.Format != "matmulnbits")
            add($"{field}", "mixed precision chooses MatMulNBits bit widths: it needs format 'matmulnbits' (e.g. preset w4-rtn)");
        if (r.Weights?.Algorithm is { } a && a != "rtn")
            add($"{field}", $"mixed precision rounds to nearest; weights.algorithm '{a}' cannot be combined with it");
        if (mp.Candidates is not { Count: > 0 } candidates)
            add($"{field}.candidates", "name at least one weight type (int2, int4, int8)");
        else
            for (int i = 0; i < candidates.Count; i++)
                if (candidates[i] is not ("int2" or "int4" or "int8"))
                    add($"{field}.candidates[{i}]", $"'{candidates[i]}' is not a MatMulNBits type (int2, int4, int8)");
        if (mp.Objective == "latency")
        {
            if (mp.Budget?.LatencyRatio is not { } latency)
                add($"{field}.budget.latencyRatio", "the latency objective needs budget.latencyRatio (a run's time against fp32's, on a calibration sample)");
            else if (latency is <= 0 or > 10)
                add($"{field}.budget.latencyRatio", $"{latency} must be in (0, 10]");
        }
        else if (mp.Budget?.SizeRatio is not { } ratio)
            add($"{field}.budget.sizeRatio", "the size objective needs budget.sizeRatio (quantized MatMul weights' bytes / their fp32 bytes)");
        else if (ratio is <= 0 or > 1)
            add($"{field}.budget.sizeRatio", $"{ratio} must be in (0, 1]");
    }

    static void CheckCombination(Recipe r, string field, Action<string, string> add)
    {
        var wt = r.Weights!.Type;
        var at = r.Activations!.Type;
        var isFloat16 = wt is "fp16" or "bf16";
        if (isFloat16 && at is not ("fp16" or "bf16" or "none" or null))
            add($"{field}.activations.type", $"weights '{wt}' convert the whole model to {wt}: activations must be '{wt}'");
        if (r.Weights.Algorithm is "gptq" or "awq" && r.Format != "matmulnbits")
            add($"{field}.weights.algorithm", $"'{r.Weights.Algorithm}' writes block-wise weights: it needs format 'matmulnbits' (e.g. preset w4-rtn with algorithm '{r.Weights.Algorithm}')");
        if (r.Weights.Algorithm == "adaround" && (r.Format == "matmulnbits" || at is not ("uint8" or "int8") || wt is not ("int8" or "uint8")))
            add($"{field}.weights.algorithm", "'adaround' optimises the int8/uint8 weights of static quantization against calibration inputs: " +
                $"it needs formats 'qdq' or 'qoperator' with uint8/int8 activations (e.g. preset int8-static), not format '{r.Format}' " +
                $"with weights '{wt}' and activations '{at}'; for MatMulNBits use 'gptq' or 'awq'");
        if (r.Prefill == "int8" && (r.Format != "matmulnbits" || wt is not ("int4" or "uint4" or "int8" or "uint8")))
            add($"{field}.prefill", $"'int8' adds an int8 path beside 4- or 8-bit MatMulNBits weights: it needs format 'matmulnbits' with int4 or int8 weights (e.g. preset w4-rtn), not format '{r.Format}' with weights '{wt}'");
        if (r.Format == "matmulnbits")
        {
            if (wt is not ("int4" or "uint4" or "int8" or "uint8" or "int2"))
                add($"{field}.weights.type", $"format 'matmulnbits' stores 2, 4 or 8-bit integer weights, not '{wt}'");
            if (r.Weights.Granularity != "per-group")
                add($"{field}.weights.granularity", "format 'matmulnbits' needs 'per-group' (block) scales");
            if (at is not ("none" or null))
                add($"{field}.activations.type", "format 'matmulnbits' is weight-only: activations must be 'none'");
        }
        if (at == "none" && r.Format != "matmulnbits" && wt is not ("int3" or "nf4" or "fp4e2m1" or "fp16" or "bf16"))
            add($"{field}.format", $"weight-only '{wt}' is stored with format 'matmulnbits' (2, 4 or 8-bit blocks); int3, nf4 and fp4e2m1 use 'qdq'");
        if (r.Format == "qoperator" && at is not ("dynamic" or "none") && !isFloat16)
            CheckQOperator(wt, at, field, add);
        // Static QDQ: what StaticQuantSettings accepts, checked before the job is queued rather than when it runs.
        if (r.Format == "qdq" && at is not ("dynamic" or "none" or null) && !isFloat16)
        {
            if (wt is not ("int8" or "uint8" or "fp8e4m3fn" or "fp8e5m2"))
                add($"{field}.weights.type", $"static quantization (activations '{at}') takes int8, uint8, fp8e4m3fn or fp8e5m2 weights, " +
                    $"not '{wt}'; 2- and 4-bit weights are weight-only: format 'matmulnbits' with activations 'none' (e.g. preset w4-rtn)");
            if (at is not ("uint8" or "int8" or "fp8e4m3fn" or "fp8e5m2"))
                add($"{field}.activations.type", $"static quantization takes uint8, int8, fp8e4m3fn or fp8e5m2 activations, not '{at}'");
        }
        foreach (var t in r.Transforms?.Intersect(StaticTransforms) ?? [])
            if (at is not ("uint8" or "int8") || wt is not ("int8" or "uint8"))
                add($"{field}.transforms", $"'{t}' is part of static integer quantization (bias correction and SmoothQuant use its calibration data): " +
                    $"it needs int8/uint8 weights and uint8/int8 activations, not weights '{wt}' with activations '{at}'");
        if (at == "dynamic" && wt is not ("int8" or "uint8"))
            add($"{field}.weights.type", $"dynamic activation quantization needs int8 or uint8 weights, not '{wt}'");
    }

    /// <summary>Static QOperator writes ONNX Runtime's QLinear kernels: 8-bit integers only, in the combinations its CPU runs.</summary>
    static void CheckQOperator(string? wt, string? at, string field, Action<string, string> add)
    {
        if (at is not ("uint8" or "int8" or null))
            add($"{field}.activations.type",
                $"format 'qoperator' writes ONNX Runtime's QLinear integer ops, which take uint8 or int8 activations, not '{at}'; use format 'qdq'");
        else if (wt is not ("int8" or "uint8"))
            add($"{field}.weights.type",
                $"format 'qoperator' writes ONNX Runtime's QLinear integer ops, which take int8 or uint8 weights, not '{wt}'; use format 'qdq'");
        else if (at == "int8" && wt == "uint8")
            add($"{field}.weights.type", "format 'qoperator' with int8 activations needs int8 weights (ONNX Runtime has no int8 x uint8 QLinearConv)");
    }
}
