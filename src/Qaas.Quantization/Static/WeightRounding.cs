using Qaas.Quantization.Formats;

namespace Qaas.Quantization.Static;

/// <summary>
/// Stored integer values (one byte per element, two's complement when signed) of a weight for the scales and zero
/// points round-to-nearest would use, or null for round-to-nearest itself.
/// </summary>
internal delegate byte[]? WeightRounding(string weightName, float[] w, int[] shape, TensorQuantParams p);
