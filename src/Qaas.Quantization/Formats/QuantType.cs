namespace Qaas.Quantization.Formats;

/// <summary>Element types a tensor can be quantized or cast to.</summary>
public enum QuantType
{
    Int8,
    UInt8,
    Int16,
    Int4,
    UInt4,
    Int3,
    Int2,
    Float8E4M3FN,
    Float8E5M2,
    Float4E2M1,
    NF4,
    Float16,
    BFloat16,
}
