namespace Qaas.Quantization.WeightOnly;

/// <summary>How <see cref="MatMulNBitsQuantizer"/> emits MatMulNBits, beyond what the recipe says (bits, block, symmetry).</summary>
/// <param name="AccuracyLevel">Operator attribute: 4 lets ORT quantize activations to int8 per block and use its integer
/// kernels, which is what makes int4 fast on CPU (ENVIRONMENT.md "MatMulNBits rules"); 0 computes in fp32.</param>
/// <param name="ClipSearch">Choose each block's scale by <see cref="Algorithms.ClipSearch"/> (least squared error over a
/// grid of clipping ratios) instead of the block's max|w|; still round-to-nearest, only the scale differs.</param>
/// <param name="FuseSharedInput">Merge MatMulNBits nodes that read the same input with the same K and format (attention's
/// Q, K and V projections) into one node over the concatenated columns, followed by a Split.</param>
/// <param name="HeadBlockSize">Block size, if finer than the recipe's, for a MatMul whose result is a graph output (a
/// language model's vocabulary head): its error reaches the output undamped by any residual stream, so it gets more
/// scales, as llama.cpp's mixed formats keep output.weight at higher precision. Null: the recipe's block everywhere.</param>
public sealed record MatMulNBitsOptions(long AccuracyLevel = 4, bool ClipSearch = true, bool FuseSharedInput = true, int? HeadBlockSize = 32)
{
    public static MatMulNBitsOptions Default { get; } = new();

    /// <summary>
    /// Bits of each selected MatMul (a mixed-precision allocation); null for a MatMul keeps it in fp32. Unset: the
    /// recipe's weight type everywhere.
    /// </summary>
    public Func<WeightedMatMul, int?>? BitsOf { get; init; }
}
