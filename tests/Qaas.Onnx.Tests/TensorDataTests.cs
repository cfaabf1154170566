using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Onnx.Tests;

public class TensorDataTests
{
    private static void RoundTrips<T>(T[] values, DT expected) where T : unmanaged
    {
        var t = TensorData.Create<T>("t", values, [values.Length]);
        Assert.Equal((int)expected, t.DataType);
        Assert.Equal(values.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), t.RawData.Length);
        Assert.Equal(values, TensorData.Read<T>(t));
    }

    [Fact]
    public void Every_numeric_type_round_trips_through_raw_data()
    {
        RoundTrips(new[] { 1.5f, -2f, float.MaxValue }, DT.Float);
        RoundTrips(new[] { 1.5, -2.0 }, DT.Double);
        RoundTrips(new[] { (Half)1.5f, (Half)(-2f) }, DT.Float16);
        RoundTrips(new sbyte[] { -128, 0, 127 }, DT.Int8);
        RoundTrips(new byte[] { 0, 255 }, DT.Uint8);
        RoundTrips(new short[] { short.MinValue, 7 }, DT.Int16);
        RoundTrips(new ushort[] { ushort.MaxValue, 7 }, DT.Uint16);
        RoundTrips(new[] { int.MinValue, 7 }, DT.Int32);
        RoundTrips(new[] { uint.MaxValue, 7u }, DT.Uint32);
        RoundTrips(new[] { long.MinValue, 7L }, DT.Int64);
        RoundTrips(new[] { ulong.MaxValue, 7UL }, DT.Uint64);
        RoundTrips(new[] { true, false, true }, DT.Bool);
    }

    [Fact]
    public void Raw_data_is_little_endian()
    {
        var t = TensorData.Create<int>("t", new[] { 0x01020304 }, []);
        Assert.Equal(new byte[] { 4, 3, 2, 1 }, t.RawData.ToByteArray());
        Assert.Empty(t.Dims); // scalar
    }

    [Fact]
    public void Typed_fields_are_read_like_raw_data()
    {
        var f = new TensorProto { Name = "f", DataType = (int)DT.Float, Dims = { 2 }, FloatData = { 1f, -3f } };
        Assert.Equal(new[] { 1f, -3f }, TensorData.Read<float>(f));

        // float16 and int8 live in int32_data, one value per entry.
        var h = new TensorProto { Name = "h", DataType = (int)DT.Float16, Dims = { 2 } };
        h.Int32Data.Add(FloatBits.FloatToHalf(0.5f));
        h.Int32Data.Add(FloatBits.FloatToHalf(-4f));
        Assert.Equal(new[] { 0.5f, -4f }, TensorData.ReadAsFloat(h));
        var i8 = new TensorProto { Name = "i8", DataType = (int)DT.Int8, Dims = { 3 }, Int32Data = { -5, 0, 100 } };
        Assert.Equal(new sbyte[] { -5, 0, 100 }, TensorData.Read<sbyte>(i8));
        var u32 = new TensorProto { Name = "u32", DataType = (int)DT.Uint32, Dims = { 1 }, Uint64Data = { 4_000_000_000 } };
        Assert.Equal(new[] { 4_000_000_000u }, TensorData.Read<uint>(u32));
        Assert.Equal(new[] { 4e9f }, TensorData.ReadAsFloat(u32));
        var i64 = new TensorProto { Name = "i64", DataType = (int)DT.Int64, Dims = { 2 }, Int64Data = { -1, 2 } };
        Assert.Equal(new[] { -1f, 2f }, TensorData.ReadAsFloat(i64));
    }

    [Fact]
    public void Reading_as_the_wrong_type_or_with_the_wrong_count_fails()
    {
        var t = TensorData.Create<float>("t", new[] { 1f, 2f }, [2]);
        Assert.Throws<InvalidOperationException>(() => TensorData.Read<int>(t));
        var broken = new TensorProto { Name = "b", DataType = (int)DT.Float, Dims = { 3 }, FloatData = { 1f } };
        Assert.Throws<Io.OnnxFormatException>(() => TensorData.Read<float>(broken));
        Assert.Throws<ArgumentException>(() => TensorData.Create<float>("x", new[] { 1f }, [2]));
    }

    [Fact]
    public void Sixteen_bit_float_conversions_are_exact_where_representable_and_round_to_nearest_even()
    {
        foreach (var v in new[] { 0f, 1f, -2.5f, 65504f, 0.000061035156f })
            Assert.Equal(v, FloatBits.HalfToFloat(FloatBits.FloatToHalf(v)));
        foreach (var v in new[] { 0f, 1f, -2.5f, 3.3895314e38f })
            Assert.Equal(v, FloatBits.BFloat16ToFloat(FloatBits.FloatToBFloat16(v)));
        Assert.Equal(0x3F80, FloatBits.FloatToBFloat16(1f));
        // 1 + 2^-8 is halfway between bf16 1.0 and 1.0078125: ties go to the even mantissa (1.0).
        Assert.Equal(0x3F80, FloatBits.FloatToBFloat16(1f + 1f / 256));
        Assert.Equal(0x3F82, FloatBits.FloatToBFloat16(1f + 3f / 256));
        Assert.True(float.IsNaN(FloatBits.BFloat16ToFloat(FloatBits.FloatToBFloat16(float.NaN))));

        var bf = TensorData.Create<ushort>("bf", new ushort[] { FloatBits.FloatToBFloat16(0.75f), FloatBits.FloatToBFloat16(-8f) }, [2], (int)DT.Bfloat16);
        Assert.Equal(new[] { 0.75f, -8f }, TensorData.ReadAsFloat(bf));
        Assert.Equal("bfloat16", ElementType.Name(bf.DataType));
    }

    [Fact]
    public void Element_type_names_and_sizes()
    {
        Assert.Equal("float32", ElementType.Name((int)DT.Float));
        Assert.Equal("float8e4m3fn", ElementType.Name(17));
        Assert.Equal("float8e8m0", ElementType.Name(24));
        Assert.Equal("int4", ElementType.Name(22));
        Assert.Equal(3L, ElementType.ByteSize((int)DT.Int4, 5)); // two per byte, rounded up
        Assert.Null(ElementType.ByteSize((int)DT.String, 5));
        Assert.Null(TensorLayout.ElementCount([long.MaxValue, 4]));
    }
}
