namespace Qaas.Quantization.Formats;

/// <summary>Affine quantization parameters: x ≈ (q - ZeroPoint) * Scale.</summary>
public readonly record struct QuantParams(float Scale, int ZeroPoint);
