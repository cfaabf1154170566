using Qaas.Runtime.Tensors;
using Qaas.Runtime.Tests.Infrastructure;

namespace Qaas.Runtime.Tests.Sessions;

/// <summary>Runs single-operator models with inputs built here and checks the operator's result.</summary>
public class SingleOperatorTests
{
    [Fact]
    public void Add_reports_metadata_and_adds()
    {
        using var session = TestModels.OpenNode("test_add");
        Assert.Equal(["x", "y"], session.Inputs.Select(i => i.Name));
        Assert.Equal(TensorElementType.Float, session.Inputs[0].ElementType);
        Assert.Equal([3L, 4, 5], session.Inputs[0].Shape);
        Assert.True(session.Inputs[0].HasShape);
        Assert.Equal("sum", session.Outputs.Single().Name);

        var x = Enumerable.Range(0, 60).Select(i => i * 0.5f).ToArray();
        var y = Enumerable.Range(0, 60).Select(i => 100f - i).ToArray();
        var result = session.Run([new NamedTensor("x", Tensor.Create(x, 3, 4, 5)), new NamedTensor("y", Tensor.Create(y, 3, 4, 5))]);

        var sum = Assert.Single(result);
        Assert.Equal("sum", sum.Name);
        Assert.Equal([3L, 4, 5], sum.Tensor.Shape);
        Assert.Equal(x.Zip(y, (a, b) => a + b), sum.Tensor.ToArray<float>());
    }

    [Fact]
    public void Relu_from_ReadOnlyMemory_slice()
    {
        using var session = TestModels.OpenNode("test_relu");
        var backing = Enumerable.Range(-40, 80).Select(i => (float)i).ToArray();
        var input = Tensor.Create(new ReadOnlyMemory<float>(backing, 10, 60), [3, 4, 5]);
        var output = session.Run(new Dictionary<string, Tensor> { ["x"] = input });
        Assert.Equal(backing.Skip(10).Take(60).Select(v => Math.Max(v, 0f)), output["y"].ToArray<float>());
    }

    [Fact]
    public void And_on_bool_tensors()
    {
        using var session = TestModels.OpenNode("test_and2d");
        var x = Enumerable.Range(0, 12).Select(i => i % 2 == 0).ToArray();
        var y = Enumerable.Range(0, 12).Select(i => i % 3 == 0).ToArray();
        var output = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(x, 3, 4), ["y"] = Tensor.Create(y, 3, 4) });
        Assert.Equal(TensorElementType.Bool, output["and"].ElementType);
        Assert.Equal(x.Zip(y, (a, b) => a && b), output["and"].ToArray<bool>());
    }

    [Fact]
    public void Cast_float_to_float16_and_bfloat16()
    {
        // Exactly representable in float16 and bfloat16, so every cast is exact.
        var values = new[] { 0.5f, -2f, 1024f, 0.25f, 3f, -0.125f, 49152f, 1f, 2f, 4f, 8f, 16f };
        using (var session = TestModels.OpenNode("test_cast_FLOAT_to_FLOAT16"))
        {
            var output = session.Run(new Dictionary<string, Tensor> { ["input"] = Tensor.Create(values, 3, 4) })["output"];
            Assert.Equal(TensorElementType.Float16, output.ElementType);
            Assert.Equal(values.Select(v => (Half)v), output.ToArray<Half>());
        }
        using (var session = TestModels.OpenNode("test_cast_FLOAT_to_BFLOAT16"))
        {
            var output = session.Run(new Dictionary<string, Tensor> { ["input"] = Tensor.Create(values, 3, 4) })["output"];
            Assert.Equal(TensorElementType.BFloat16, output.ElementType);
            Assert.Equal(values, output.ToArray<BFloat16>().Select(b => (float)b));
        }
        using (var session = TestModels.OpenNode("test_cast_FLOAT16_to_DOUBLE"))
        {
            var halves = values.Select(v => (Half)v).ToArray();
            var output = session.Run(new Dictionary<string, Tensor> { ["input"] = Tensor.Create(halves, 3, 4) })["output"];
            Assert.Equal(values.Select(v => (double)v), output.ToArray<double>());
        }
    }

    [Fact]
    public void String_tensors_in_and_out()
    {
        // Case changes need an en_US.UTF-8 C++ locale this machine lacks; "nochangecase" only drops stop words.
        using (var session = TestModels.OpenNode("test_strnormalizer_export_monday_casesensintive_nochangecase"))
        {
            Assert.Equal(TensorElementType.String, session.Inputs[0].ElementType);
            var input = Tensor.Create(["monday", "tuesday", "", "ünïcödé 字"], 4);
            var output = session.Run(new Dictionary<string, Tensor> { [session.Inputs[0].Name] = input })[session.Outputs[0].Name];
            var strings = Assert.IsType<StringTensor>(output);
            Assert.Equal(["tuesday", "", "ünïcödé 字"], strings.Data);
            Assert.Equal([3L], strings.Shape);
            Assert.Equal([4L], session.Inputs[0].Shape);
        }
        using (var session = TestModels.OpenNode("test_cast_STRING_to_FLOAT"))
        {
            var text = new[] { "0.5", "-2", "1e3", "NaN", "INF", "-INF", "3.25", "0", "1", "2", "4", "8" };
            var output = session.Run(new Dictionary<string, Tensor> { ["input"] = Tensor.Create(text, 3, 4) })["output"];
            Assert.Equal([0.5f, -2f, 1000f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3.25f, 0, 1, 2, 4, 8], output.ToArray<float>());
        }
    }

    public static TheoryData<string> NumericTypes => new(["float16", "float32", "float64", "int8", "int32", "int64", "uint8", "uint32", "uint64"]); // ORT has no int16/uint16 Max kernel

    [Theory]
    [MemberData(nameof(NumericTypes))]
    public void Max_of_every_numeric_type(string type)
    {
        using var session = TestModels.OpenNode($"test_max_{type}");
        var elementType = session.Inputs[0].ElementType;
        var shape = session.Inputs[0].Shape.ToArray();
        var count = (int)Tensor.ShapeElementCount(shape);
        var a = Enumerable.Range(0, count).Select(i => (double)(i * 3 % 7)).ToArray();
        var b = Enumerable.Range(0, count).Select(i => (double)(i * 5 % 6)).ToArray();

        var output = session.Run(new Dictionary<string, Tensor>
        {
            [session.Inputs[0].Name] = Make(elementType, a, shape),
            [session.Inputs[1].Name] = Make(elementType, b, shape),
        })[session.Outputs[0].Name];

        Assert.Equal(elementType, output.ElementType);
        Assert.Equal(a.Zip(b, Math.Max), AsDoubles(output));
    }

    private static Tensor Make(TensorElementType type, double[] v, long[] shape) => type switch
    {
        TensorElementType.Float16 => Tensor.Create(v.Select(x => (Half)x).ToArray(), shape),
        TensorElementType.Float => Tensor.Create(v.Select(x => (float)x).ToArray(), shape),
        TensorElementType.Double => Tensor.Create(v, shape),
        TensorElementType.Int8 => Tensor.Create(v.Select(x => (sbyte)x).ToArray(), shape),
        TensorElementType.Int16 => Tensor.Create(v.Select(x => (short)x).ToArray(), shape),
        TensorElementType.Int32 => Tensor.Create(v.Select(x => (int)x).ToArray(), shape),
        TensorElementType.Int64 => Tensor.Create(v.Select(x => (long)x).ToArray(), shape),
        TensorElementType.UInt8 => Tensor.Create(v.Select(x => (byte)x).ToArray(), shape),
        TensorElementType.UInt16 => Tensor.Create(v.Select(x => (ushort)x).ToArray(), shape),
        TensorElementType.UInt32 => Tensor.Create(v.Select(x => (uint)x).ToArray(), shape),
        TensorElementType.UInt64 => Tensor.Create(v.Select(x => (ulong)x).ToArray(), shape),
        _ => throw new NotSupportedException(type.ToString()),
    };

    private static IEnumerable<double> AsDoubles(Tensor t) => t.ElementType switch
    {
        TensorElementType.Float16 => t.ToArray<Half>().Select(x => (double)x),
        TensorElementType.Float => t.ToArray<float>().Select(x => (double)x),
        TensorElementType.Double => t.ToArray<double>(),
        TensorElementType.Int8 => t.ToArray<sbyte>().Select(x => (double)x),
        TensorElementType.Int16 => t.ToArray<short>().Select(x => (double)x),
        TensorElementType.Int32 => t.ToArray<int>().Select(x => (double)x),
        TensorElementType.Int64 => t.ToArray<long>().Select(x => (double)x),
        TensorElementType.UInt8 => t.ToArray<byte>().Select(x => (double)x),
        TensorElementType.UInt16 => t.ToArray<ushort>().Select(x => (double)x),
        TensorElementType.UInt32 => t.ToArray<uint>().Select(x => (double)x),
        TensorElementType.UInt64 => t.ToArray<ulong>().Select(x => (double)x),
        _ => throw new NotSupportedException(t.ElementType.ToString()),
    };
}
