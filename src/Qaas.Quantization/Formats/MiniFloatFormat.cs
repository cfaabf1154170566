namespace Qaas.Quantization.Formats;

/// <summary>
/// Small floating-point formats (fp8 E4M3FN, fp8 E5M2, fp4 E2M1) with saturating round-to-nearest-even
/// encoding, as an ONNX Cast with saturate=1: finite overflow and ±inf become ±max, NaN stays NaN
/// (fp4 has no NaN: it becomes +max). Codes are one per byte (fp4 in the low nibble).
/// </summary>
public sealed class MiniFloatFormat
{
    /// <summary>fp8 E4M3FN: bias 7, no infinities, NaN = S.1111.111, max 448 (OCP FP8, Micikevicius et al. 2022).</summary>
    public static readonly MiniFloatFormat E4M3FN = new(4, 3, 7, maxCode: 0x7E, nanCode: 0x7F, hasInfinity: false);

    /// <summary>fp8 E5M2: bias 15, IEEE-like infinities and NaNs, max 57344.</summary>
    public static readonly MiniFloatFormat E5M2 = new(5, 2, 15, maxCode: 0x7B, nanCode: 0x7F, hasInfinity: true);

    /// <summary>fp4 E2M1: bias 1, no infinities or NaN, values 0, 0.5, 1, 1.5, 2, 3, 4, 6 (OCP MX).</summary>
    public static readonly MiniFloatFormat E2M1 = new(2, 1, 1, maxCode: 0x7, nanCode: null, hasInfinity: false);

    private readonly float[] _decode;
    private readonly int _signBit;
    private readonly float _minNormal;
    private readonly float _subnormalStepInverse;

    private MiniFloatFormat(int exponentBits, int mantissaBits, int bias, int maxCode, int? nanCode, bool hasInfinity)
    {
        ExponentBits = exponentBits;
        MantissaBits = mantissaBits;
        Bias = bias;
        MaxCode = maxCode;
        NanCode = nanCode;
        HasInfinity = hasInfinity;
        _signBit = 1 << (exponentBits + mantissaBits);
        _minNormal = MathF.ScaleB(1f, 1 - bias);
        _subnormalStepInverse = MathF.ScaleB(1f, bias - 1 + mantissaBits);
        _decode = new float[_signBit * 2];
        for (int code = 0; code < _decode.Length; code++)
            _decode[code] = DecodeSlow(code);
        MaxValue = _decode[maxCode];
    }

    public int ExponentBits { get; }
    public int MantissaBits { get; }
    public int Bias { get; }
    public int MaxCode { get; }
    public int? NanCode { get; }
    public bool HasInfinity { get; }
    public float MaxValue { get; }
    public int BitWidth => ExponentBits + MantissaBits + 1;

    public float Decode(byte code) => _decode[code & (2 * _signBit - 1)];

    public byte Encode(float x)
    {
        int sign = BitConverter.SingleToUInt32Bits(x) >> 31 != 0 ? _signBit : 0;
        if (float.IsNaN(x))
            return (byte)(NanCode is { } nan ? sign | nan : MaxCode);
        float a = MathF.Abs(x);
        if (a >= MaxValue)
            return (byte)(sign | MaxCode);
        if (a < _minNormal)
        {
            // Subnormal grid: multiples of 2^(1 - bias - mantissa). Rounding up to 2^mantissa lands exactly on
            // the smallest normal's code, because codes are monotonic in magnitude.
            return (byte)(sign | (int)MathF.Round(a * _subnormalStepInverse, MidpointRounding.ToEven));
        }
        int e = (int)((BitConverter.SingleToUInt32Bits(a) >> 23) & 0xFF) - 127;
        int q = (int)MathF.Round(MathF.ScaleB(a, MantissaBits - e), MidpointRounding.ToEven); // in [2^m, 2^(m+1)]
        int code = ((e + Bias - 1) << MantissaBits) + q; // a carry out of the mantissa bumps the exponent
        return (byte)(sign | Math.Min(code, MaxCode));
    }

    public void Encode(ReadOnlySpan<float> x, Span<byte> codes)
    {
        if (codes.Length < x.Length)
            throw new ArgumentException("Destination too small.", nameof(codes));
        for (int i = 0; i < x.Length; i++)
            codes[i] = Encode(x[i]);
    }

    public void Decode(ReadOnlySpan<byte> codes, Span<float> x)
    {
        if (x.Length < codes.Length)
            throw new ArgumentException("Destination too small.", nameof(x));
        var table = _decode;
        int mask = table.Length - 1;
        for (int i = 0; i < codes.Length; i++)
            x[i] = table[codes[i] & mask];
    }

    private float DecodeSlow(int code)
    {
        bool negative = (code & _signBit) != 0;
        int magnitude = code & (_signBit - 1);
        int e = magnitude >> MantissaBits;
        int m = magnitude & ((1 << MantissaBits) - 1);
        int maxExponent = (1 << ExponentBits) - 1;
        float value;
        if (NanCode is { } nan && magnitude == nan)
            value = float.NaN;
        else if (HasInfinity && e == maxExponent)
            value = m == 0 ? float.PositiveInfinity : float.NaN;
        else if (e == 0)
            value = MathF.ScaleB(m, 1 - Bias - MantissaBits);
        else
            value = MathF.ScaleB((1 << MantissaBits) + m, e - Bias - MantissaBits);
        return negative ? -value : value;
    }
}
