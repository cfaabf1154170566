namespace Qaas.TestSupport;

/// <summary>Size of the decoder-style transformer built by <see cref="TransformerModelBuilder"/>.</summary>
/// <param name="Logits">true: end with the vocabulary projection (output "logits"); false: output "hidden_states".</param>
/// <param name="TanhGelu">true: GELU's tanh approximation; false: the erf form (both from primitive opset-17 ops).</param>
public sealed record TransformerOptions(
    int Vocab = 8192,
    int Dim = 1024,
    int Heads = 16,
    int Blocks = 4,
    int FfnDim = 4096,
    bool Logits = true,
    bool TanhGelu = false,
    int Seed = 1234)
{
    /// <summary>~67M parameters (~270 MB as fp32): for the few acceptance tests and benchmarks.</summary>
    public static TransformerOptions Full { get; } = new();

    /// <summary>~0.7M parameters: builds and runs in milliseconds, for unit tests.</summary>
    public static TransformerOptions Small { get; } = new(Vocab: 512, Dim: 128, Heads: 4, Blocks: 2, FfnDim: 512);

    public long ParameterCount =>
        (long)Vocab * Dim                                                // embedding
        + Blocks * (4L * (Dim * Dim + Dim) + 2L * Dim * FfnDim + FfnDim + Dim + 4L * Dim) // attention, MLP, 2 LayerNorms
        + 2L * Dim                                                       // final LayerNorm
        + (Logits ? (long)Dim * Vocab : 0);
}
