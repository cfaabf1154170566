using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Summary;

namespace Qaas.Onnx.Tests;

/// <summary>The ONNX backend conformance models (Debian libonnx-testdata) all load, validate and round-trip.</summary>
public class TestDataModelsTests
{
    private static IEnumerable<string> AllModels() =>
        Directory.EnumerateFiles(TestAssets.OnnxTestData, "model.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    [Fact]
    public void Every_model_loads_validates_and_round_trips()
    {
        var failures = new List<string>();
        var loaded = 0;
        foreach (var path in AllModels())
        {
            try
            {
                var model = OnnxModel.Load(path);
                var bytes = new MemoryStream();
                model.Save(bytes);
                bytes.Position = 0;
                var again = OnnxModel.Load(bytes);
                if (!again.Proto.Equals(model.Proto)) throw new Exception("round-trip changed the model");
                new GraphView(model.Graph).TopologicalOrder();
                _ = ModelSummary.Of(model);
                loaded++;
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetRelativePath(TestAssets.OnnxTestData, path)}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failed:\n" + string.Join("\n", failures));
        Assert.True(loaded > 900, $"only {loaded} models loaded");
    }

    [Fact]
    public void Test_data_inputs_parse_as_tensors_and_read()
    {
        var read = 0;
        var failures = new List<string>();
        foreach (var path in AllModels())
        {
            var dir = Path.GetDirectoryName(path)!;
            var model = OnnxModel.Load(path);
            var inits = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
            var inputs = model.Graph.Input.Where(i => !inits.Contains(i.Name)).ToList();
            foreach (var set in Directory.EnumerateDirectories(dir, "test_data_set_*"))
            {
                for (var k = 0; k < inputs.Count; k++)
                {
                    var file = Path.Combine(set, $"input_{k}.pb");
                    var type = inputs[k].Type;
                    // Sequence/optional/map inputs are stored as SequenceProto/OptionalProto, not TensorProto.
                    if (!File.Exists(file) || type?.ValueCase != TypeProto.ValueOneofCase.TensorType) continue;
                    try
                    {
                        using var s = File.OpenRead(file);
                        var t = OnnxModel.ParseTensor(s);
                        // ONNX 1.12 stored its bfloat16 cast inputs as uint16 bit patterns; accept that known quirk.
                        var quirk = t.DataType == (int)TensorProto.Types.DataType.Uint16
                                    && type.TensorType.ElemType == (int)TensorProto.Types.DataType.Bfloat16;
                        if (t.DataType != type.TensorType.ElemType && !quirk)
                            throw new Exception($"type {t.DataType} != model input type {type.TensorType.ElemType}");
                        var n = TensorLayout.ElementCount(t)!.Value;
                        switch (ElementType.Name(t.DataType))
                        {
                            case "string" or "complex64" or "complex128" or "float8e4m3fn" or "float8e4m3fnuz"
                                or "float8e5m2" or "float8e5m2fnuz" or "uint4" or "int4":
                                continue;
                            default:
                                var values = TensorData.ReadAsFloat(t);
                                Assert.Equal(n, values.Length);
                                break;
                        }
                        read++;
                    }
                    catch (Exception e)
                    {
                        failures.Add($"{Path.GetRelativePath(TestAssets.OnnxTestData, file)}: {e.Message}");
                    }
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failed:\n" + string.Join("\n", failures));
        Assert.True(read > 1000, $"only {read} tensors read");
    }

    [Fact]
    public void Reference_values_read_from_raw_data_match_known_numbers()
    {
        // test_abs: output = |input|, both float32 raw_data.
        var dir = Path.Combine(TestAssets.OnnxTestData, "node", "test_abs", "test_data_set_0");
        var input = OnnxModel.ParseTensor(File.OpenRead(Path.Combine(dir, "input_0.pb")));
        var output = OnnxModel.ParseTensor(File.OpenRead(Path.Combine(dir, "output_0.pb")));
        var x = TensorData.Read<float>(input);
        var y = TensorData.Read<float>(output);
        Assert.Equal(60, x.Length);
        Assert.Equal(x.Select(Math.Abs), y);
        Assert.Contains(x, v => v < 0);
    }
}
