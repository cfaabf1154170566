namespace Qaas.Quantization.Formats;

/// <summary>Bit width, signedness, integer range and recipe name of each <see cref="QuantType"/>.</summary>
public static class QuantTypeInfo
{
    public static int BitWidth(this QuantType type) => type switch
    {
        QuantType.Int8 or QuantType.UInt8 or QuantType.Float8E4M3FN or QuantType.Float8E5M2 => 8,
        QuantType.Int16 or QuantType.Float16 or QuantType.BFloat16 => 16,
        QuantType.Int4 or QuantType.UInt4 or QuantType.Float4E2M1 or QuantType.NF4 => 4,
        QuantType.Int3 => 3,
        QuantType.Int2 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool IsSigned(this QuantType type) => type is not (QuantType.UInt8 or QuantType.UInt4);

    /// <summary>True for the affine integer types that use scale and zero point (q = round(x/s) + zp).</summary>
    public static bool IsInteger(this QuantType type) => type is QuantType.Int8 or QuantType.UInt8 or QuantType.Int16
        or QuantType.Int4 or QuantType.UInt4 or QuantType.Int3 or QuantType.Int2;

    /// <summary>Smallest representable integer; only for <see cref="IsInteger"/> types.</summary>
    public static int QMin(this QuantType type)
    {
        RequireInteger(type);
        return type.IsSigned() ? -(1 << (type.BitWidth() - 1)) : 0;
    }

    /// <summary>Largest representable integer; only for <see cref="IsInteger"/> types.</summary>
    public static int QMax(this QuantType type)
    {
        RequireInteger(type);
        return type.IsSigned() ? (1 << (type.BitWidth() - 1)) - 1 : (1 << type.BitWidth()) - 1;
    }

    /// <summary>The word recipes use for the type (see Recipes/RecipeVocabulary).</summary>
    public static string RecipeName(this QuantType type) => type switch
    {
        QuantType.Int8 => "int8",
        QuantType.UInt8 => "uint8",
        QuantType.Int16 => "int16",
        QuantType.Int4 => "int4",
        QuantType.UInt4 => "uint4",
        QuantType.Int3 => "int3",
        QuantType.Int2 => "int2",
        QuantType.Float8E4M3FN => "fp8e4m3fn",
        QuantType.Float8E5M2 => "fp8e5m2",
        QuantType.Float4E2M1 => "fp4e2m1",
        QuantType.NF4 => "nf4",
        QuantType.Float16 => "fp16",
        QuantType.BFloat16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParse(string name, out QuantType type)
    {
        foreach (var candidate in Enum.GetValues<QuantType>())
        {
            if (string.Equals(candidate.RecipeName(), name, StringComparison.OrdinalIgnoreCase))
            {
                type = candidate;
                return true;
            }
        }
        type = default;
        return false;
    }

    public static QuantType Parse(string name) =>
        TryParse(name, out var type) ? type : throw new FormatException($"Unknown quantization type '{name}'.");

    private static void RequireInteger(QuantType type)
    {
        if (!type.IsInteger())
            throw new ArgumentException($"{type} is not an affine integer type.", nameof(type));
    }
}
