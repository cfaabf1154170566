using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;
using Qaas.Runtime.Tests.Infrastructure;

namespace Qaas.Runtime.Tests.Sessions;

/// <summary>OutputCapture on PP-OCRv4 det with every node output as a graph output (what calibration captures).</summary>
public class OutputCaptureTests
{
    private static readonly ModelProto Detector = OnnxModel.Load(RepositoryPaths.Model("ppocr", "ch_PP-OCRv4_det_infer.onnx")).Proto;

    // Every non-Constant node output of the detector is float.
    private static readonly string[] Intermediates = Detector.Graph.Node.Where(n => !ConstantNode.Is(n))
        .SelectMany(n => n.Output).Where(o => o.Length > 0 && Detector.Graph.Output.All(g => g.Name != o)).Distinct().ToArray();

    private static readonly byte[] CaptureModel = WithOutputs(Intermediates);

    [Fact]
    public void Captured_values_equal_a_copying_run_and_single_output_models()
    {
        using var session = InferenceSession.Create(CaptureModel, TestModels.SingleThread);
        using var capture = session.CreateCapture();
        var inputs = Image(64, 64, seed: 1);
        capture.Run(Image(64, 64, seed: 2));
        capture.Run(inputs); // writes into the first run's tensors: a tensor ORT left alone would keep seed 2's values

        Assert.Equal(Detector.Graph.Output.Count + Intermediates.Length, capture.Count);
        var copied = session.Run(inputs);
        for (var i = 0; i < capture.Count; i++)
        {
            Assert.Equal(copied[i].Name, capture[i].Name);
            Assert.Equal(copied[i].Tensor.Shape, capture[i].Shape);
            Assert.True(copied[i].Tensor.AsSpan<float>().SequenceEqual(capture[i].AsSpan<float>()), $"{capture[i].Name} differs");
        }

        // A model that outputs just that tensor: ORT fuses differently there, so allow rounding differences.
        foreach (var name in new[] { Intermediates[0], Intermediates[Intermediates.Length / 2], Intermediates[^1] })
        {
            using var single = InferenceSession.Create(WithOutputs([name]), TestModels.SingleThread);
            var expected = single.Run(inputs, [name]).Single().Tensor;
            Assert.Equal(expected.Shape, capture[name].Shape);
            AssertClose(expected.AsSpan<float>(), capture[name].AsSpan<float>(), name);
        }
    }

    [Fact]
    public void Each_run_overwrites_the_values_and_older_views_refuse_to_read()
    {
        using var session = InferenceSession.Create(CaptureModel, TestModels.SingleThread);
        using var capture = session.CreateCapture();
        var name = Intermediates[5];

        capture.Run(Image(64, 64, seed: 1));
        var first = capture[name];
        var firstValues = first.ToTensor().ToArray<float>();
        capture.Run(Image(64, 64, seed: 2));

        var expected = session.Run(Image(64, 64, seed: 2), [name]).Single().Tensor.ToArray<float>();
        Assert.Equal(expected, capture[name].AsSpan<float>().ToArray());
        Assert.NotEqual(firstValues, expected);
        var e = Assert.Throws<InvalidOperationException>(() => first.AsSpan<float>().Length);
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Other_input_shapes_get_new_outputs_of_their_own_shapes()
    {
        using var session = InferenceSession.Create(CaptureModel, TestModels.SingleThread);
        using var capture = session.CreateCapture();
        var output = Detector.Graph.Output[0].Name;

        capture.Run(Image(64, 64, seed: 1));
        Assert.Equal([1L, 1, 64, 64], capture[output].Shape);
        capture.Run(Image(96, 64, seed: 1));
        Assert.Equal([1L, 1, 96, 64], capture[output].Shape);
        Assert.Equal(96 * 64, capture[output].AsSpan<float>().Length);
        Assert.Equal(session.Run(Image(96, 64, seed: 1), [output]).Single().Tensor.ToArray<float>(), capture[output].AsSpan<float>().ToArray());
    }

    [Fact]
    public void Data_dependent_output_shapes_are_reallocated_for_the_same_input_shape()
    {
        using var session = TestModels.OpenNode("test_nonzero_example");
        using var capture = session.CreateCapture();
        var input = session.Inputs[0].Name;

        capture.Run([new NamedTensor(input, Tensor.Create([true, false, true, true], 2, 2))]);
        Assert.Equal([2L, 3], capture[0].Shape);
        capture.Run([new NamedTensor(input, Tensor.Create([false, false, false, true], 2, 2))]);
        Assert.Equal([2L, 1], capture[0].Shape);
        Assert.Equal([1L, 1], capture[0].AsSpan<long>().ToArray());
    }

    [Fact]
    public void Wrong_inputs_and_reads_are_precise_errors_and_the_capture_recovers()
    {
        using var session = InferenceSession.Create(CaptureModel, TestModels.SingleThread);
        using var capture = session.CreateCapture();
        var name = Intermediates[0];
        capture.Run(Image(64, 64, seed: 1));

        var wrongChannels = new NamedTensor("x", Tensor.Create(new float[4 * 64 * 64], 1, 4, 64, 64));
        var e = Assert.Throws<OrtException>(() => capture.Run([wrongChannels]));
        Assert.Contains("x", e.Message);
        Assert.Contains("No captured outputs", Assert.Throws<InvalidOperationException>(() => capture[name].Shape).Message);

        capture.Run(Image(64, 64, seed: 1));
        Assert.Contains("Double", Assert.Throws<InvalidCastException>(() => capture[name].AsSpan<double>().Length).Message);
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => capture["nope"]).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => capture[capture.Count]);
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => session.CreateCapture(["nope"])).Message);
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => session.CreateCapture([])).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => session.CreateCapture([name, name])).Message);
    }

    [Fact]
    public void String_outputs_are_refused_on_every_run()
    {
        using var session = TestModels.OpenNode("test_cast_FLOAT_to_STRING");
        using var capture = session.CreateCapture();
        var x = new NamedTensor(session.Inputs[0].Name, Tensor.Create(new float[12], 3, 4));
        for (var run = 0; run < 2; run++)
            Assert.Contains("string", Assert.Throws<NotSupportedException>(() => capture.Run([x])).Message);
        Assert.Throws<InvalidOperationException>(() => capture[0].Shape);
    }

    [Fact]
    public void Disposal_frees_the_outputs_and_later_use_is_refused()
    {
        using var session = InferenceSession.Create(CaptureModel, TestModels.SingleThread);
        var capture = session.CreateCapture([Intermediates[0]]);
        capture.Run(Image(64, 64, seed: 1));
        var view = capture[0];
        Assert.True(capture.ByteCount > 0);

        capture.Dispose();
        capture.Dispose();
        Assert.Throws<ObjectDisposedException>(() => view.AsSpan<float>().Length);
        Assert.Throws<ObjectDisposedException>(() => capture.Run(Image(64, 64, seed: 1)));
        Assert.Equal(0, capture.ByteCount);

        // The session is not the capture's to dispose.
        Assert.Single(session.Run(Image(64, 64, seed: 1), [Intermediates[0]]));
    }

    [Fact]
    public void Outputs_of_view_ops_are_written_too()
    {
        // Reshape, Identity, Flatten and Squeeze may hand back their input's buffer; as outputs they must still be filled.
        var graph = new GraphProto { Name = "views" };
        graph.Input.Add(FloatValue("x", 2, 6));
        graph.Initializer.Add(new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 2 }, Int64Data = { 3, 4 } });
        graph.Node.Add(new NodeProto { OpType = "Relu", Input = { "x" }, Output = { "r" } });
        graph.Node.Add(new NodeProto { OpType = "Reshape", Input = { "r", "shape" }, Output = { "s" } });
        graph.Node.Add(new NodeProto { OpType = "Identity", Input = { "s" }, Output = { "i" } });
        graph.Node.Add(new NodeProto { OpType = "Flatten", Input = { "i" }, Output = { "f" }, Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 } } });
        graph.Node.Add(new NodeProto { OpType = "Squeeze", Input = { "f" }, Output = { "q" } });
        foreach (var name in new[] { "r", "s", "i", "f", "q" })
            graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        var model = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } } };
        using var session = InferenceSession.Create(model.ToByteArray(), TestModels.SingleThread);
        using var capture = session.CreateCapture();

        foreach (var offset in new[] { 0f, -5f, 3f })
        {
            var x = Enumerable.Range(0, 12).Select(i => i - 6 + offset).ToArray();
            capture.Run([new NamedTensor("x", Tensor.Create(x, 2, 6))]);
            var relu = x.Select(v => Math.Max(v, 0f)).ToArray();
            foreach (var name in capture.Names)
                Assert.Equal(relu, capture[name].AsSpan<float>().ToArray());
            Assert.Equal([3L, 4], capture["i"].Shape);
            Assert.Equal([1L, 12], capture["f"].Shape);
            Assert.Equal([12L], capture["q"].Shape);
        }
    }

    private static ValueInfoProto FloatValue(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static byte[] WithOutputs(IEnumerable<string> names)
    {
        var copy = Detector.Clone();
        foreach (var name in names)
            copy.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        return copy.ToByteArray();
    }

    private static NamedTensor[] Image(int height, int width, int seed)
    {
        var rng = new Random(seed);
        var data = new float[3 * height * width];
        for (var i = 0; i < data.Length; i++)
            data[i] = (float)(rng.NextDouble() * 2 - 1);
        return [new NamedTensor("x", Tensor.Create(data, 1, 3, height, width))];
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = 0f;
        foreach (var v in expected)
            scale = Math.Max(scale, Math.Abs(v));
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * Math.Max(scale, 1f),
                $"{name}[{i}]: expected {expected[i]}, captured {actual[i]}");
    }
}
