namespace Qaas.Api.Tests.Infrastructure;

/// <summary>Builds small valid ONNX models by hand (protobuf wire format): y = Relu(x), x,y float[1,n].</summary>
public static class TinyOnnx
{
    /// <param name="symbolicWidth">When set, the second dimension is this symbolic name instead of <paramref name="width"/>.</param>
    public static byte[] Relu(int width = 4, string? symbolicWidth = null) => Unary("Relu", width, symbolicWidth);

    /// <summary>y = opType(x) in the default domain, whether or not ONNX defines such an operator.</summary>
    public static byte[] Unary(string opType, int width = 4, string? symbolicWidth = null)
    {
        var widthDim = symbolicWidth is null ? Varint(1, (ulong)width) : Str(2, symbolicWidth);
        var tensorType = Msg(Varint(1, 1), Bytes(2, Msg(Bytes(1, Msg(Varint(1, 1))), Bytes(1, widthDim))));
        byte[] ValueInfo(string name) => Msg(Str(1, name), Bytes(2, Msg(Bytes(1, tensorType))));
        var node = Msg(Str(1, "x"), Str(2, "y"), Str(3, opType.ToLowerInvariant()), Str(4, opType));
        var graph = Msg(Bytes(1, node), Str(2, "tiny"), Bytes(11, ValueInfo("x")), Bytes(12, ValueInfo("y")));
        var opset = Msg(Str(1, ""), Varint(2, 14));
        return Msg(Varint(1, 7), Str(2, "qaas-tests"), Bytes(7, graph), Bytes(8, opset));
    }

    private static byte[] Msg(params byte[][] fields) => fields.SelectMany(f => f).ToArray();
    private static byte[] Str(int field, string s) => Bytes(field, System.Text.Encoding.UTF8.GetBytes(s));

    private static byte[] Bytes(int field, byte[] payload) =>
        [.. Key(field, 2), .. VarintRaw((ulong)payload.Length), .. payload];

    private static byte[] Varint(int field, ulong v) => [.. Key(field, 0), .. VarintRaw(v)];
    private static byte[] Key(int field, int wire) => VarintRaw((ulong)((field << 3) | wire));

    private static byte[] VarintRaw(ulong v)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(v & 0x7f);
            v >>= 7;
            bytes.Add(v != 0 ? (byte)(b | 0x80) : b);
        } while (v != 0);
        return [.. bytes];
    }
}
